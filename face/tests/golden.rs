//! Golden tests on the shared labelled photos: the pipeline reproduces the reference
//! embeddings within a tolerance, tells genuine from impostor pairs, and refuses bad
//! photos with the right error. Models come from `scripts/fetch-face-models`
//! (`SANDA_FACE_MODELS`, default `data/models` at the repository root).

#![expect(clippy::unwrap_used, reason = "a test fails loudly where it cannot continue")]

use std::collections::HashMap;

use face::{align, decode, DecodeLimits, FaceEngine, FaceError};
use image::{imageops, RgbImage};

mod common;

use common::{engine, photo, root};

/// file → (identity, reference embedding).
fn reference() -> HashMap<String, (String, Vec<f32>)> {
    let text = std::fs::read_to_string(root().join("../shared/face-data/reference/sface_int8bq_tract_embeddings.csv"))
        .unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let mut cells = l.split(',');
            let file = cells.next().unwrap().to_owned();
            let identity = cells.next().unwrap().to_owned();
            (file, (identity, cells.map(|c| c.parse().unwrap()).collect()))
        })
        .collect()
}

#[test]
fn embeddings_match_the_reference_within_tolerance() {
    let reference = reference();
    assert!(reference.len() >= 40);
    let mut worst = 1.0f32;
    for (file, (_, expected)) in &reference {
        let img = decode::decode(&photo(file), DecodeLimits::default()).unwrap();
        let faces = engine().detect(&img).unwrap();
        let largest = faces.first().unwrap_or_else(|| panic!("{file}: no face"));
        let e = engine().embed_aligned(&align::align(&img, &largest.landmarks)).unwrap();
        let cos: f32 = e.0.iter().zip(expected).map(|(a, b)| a * b).sum::<f32>()
            / expected.iter().map(|v| v * v).sum::<f32>().sqrt();
        worst = worst.min(cos);
        assert!(cos > 0.97, "{file}: cosine {cos} with the reference embedding");
    }
    println!("worst cosine with the reference: {worst}");
}

/// The default decision threshold (see the README's face section for how it was chosen).
const THRESHOLD: f32 = 0.42;

#[test]
fn missing_or_altered_models_are_refused_with_a_clear_message() {
    let dir = std::env::temp_dir().join(format!("sanda-face-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let missing = FaceEngine::load(&dir).unwrap_err().to_string();
    assert!(missing.contains(face::DETECTOR_FILE) && missing.contains("fetch-face-models"), "{missing}");
    std::fs::write(dir.join(face::DETECTOR_FILE), b"not the model").unwrap();
    let altered = FaceEngine::load(&dir).unwrap_err().to_string();
    assert!(altered.contains("sha256"), "{altered}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_genuine_pair_passes_and_an_impostor_fails() {
    let a = engine().analyze(&photo("df_img01.jpg")).unwrap();
    let b = engine().analyze(&photo("df_img02.jpg")).unwrap(); // the same person
    let c = engine().analyze(&photo("vf_impostor_1.jpg")).unwrap();
    let genuine = a.embedding.cosine(&b.embedding);
    let impostor = a.embedding.cosine(&c.embedding);
    assert!(genuine > THRESHOLD, "genuine {genuine}");
    assert!(impostor < THRESHOLD, "impostor {impostor}");
    let stored = face::Embedding::from_bytes(&a.embedding.to_bytes()).unwrap();
    assert!((stored.cosine(&a.embedding) - 1.0).abs() < 1e-6);
}

/// Projective foreshortening about (cx, cy): x' = x / (1 + k·x), in units of `unit` pixels.
fn keystone(img: &RgbImage, k: f32, cx: f32, cy: f32, unit: f32) -> RgbImage {
    let (w, h) = (img.width() as f32, img.height() as f32);
    RgbImage::from_fn(img.width(), img.height(), |u, v| {
        let (xp, yp) = ((u as f32 - cx) / unit, (v as f32 - cy) / unit);
        let d = 1.0 - k * xp;
        let (sx, sy) = (xp / d * unit + cx, yp / d * unit + cy);
        if d <= 0.05 || sx < 0.0 || sy < 0.0 || sx >= w - 1.0 || sy >= h - 1.0 {
            image::Rgb([0, 0, 0])
        } else {
            *img.get_pixel(sx as u32, sy as u32)
        }
    })
}

fn jpeg(img: &RgbImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

fn upright(name: &str) -> RgbImage {
    decode::decode(&photo(name), DecodeLimits::default()).unwrap()
}

#[test]
fn each_quality_problem_is_named_from_a_real_photo() {
    let img = upright("df_img01.jpg");
    let face = engine().detect(&img).unwrap()[0].clone();
    // Blurred: a blur of a fortieth of the face's width.
    let blurred = imageops::blur(&img, face.w / 40.0);
    assert!(matches!(engine().analyze(&jpeg(&blurred)), Err(FaceError::Blurred)));
    // So blurred that no face is left.
    let smeared = imageops::blur(&img, face.w / 4.0);
    assert!(matches!(engine().analyze(&jpeg(&smeared)), Err(FaceError::NoFace)));
    // Too dark, too bright.
    let gain = |g: f32| {
        let mut d = img.clone();
        d.pixels_mut().for_each(|p| p.0 = p.0.map(|c| (f32::from(c) * g).min(255.0) as u8));
        d
    };
    assert!(matches!(engine().analyze(&jpeg(&gain(0.25))), Err(FaceError::TooDark)));
    assert!(matches!(engine().analyze(&jpeg(&gain(2.0))), Err(FaceError::TooBright)));
    // Too small: the photo shrunk and set on a large grey background.
    let small = imageops::resize(&img, img.width() / 14, img.height() / 14, imageops::FilterType::Triangle);
    let mut canvas = RgbImage::from_pixel(1600, 1200, image::Rgb([128, 128, 128]));
    imageops::overlay(&mut canvas, &small, 700, 500);
    assert!(
        matches!(engine().analyze(&jpeg(&canvas)), Err(FaceError::FaceTooSmall { .. })),
        "{:?}",
        engine().analyze(&jpeg(&canvas)).map(|a| a.face)
    );
    // Two faces side by side, of similar size.
    let other = upright("df_img24.jpg");
    let h = 600;
    let left = imageops::resize(&img, img.width() * h / img.height(), h, imageops::FilterType::Triangle);
    let right = imageops::flip_horizontal(&left);
    let mut pair = RgbImage::new(left.width() + right.width(), h);
    imageops::overlay(&mut pair, &left, 0, 0);
    imageops::overlay(&mut pair, &right, i64::from(left.width()), 0);
    assert!(matches!(engine().analyze(&jpeg(&pair)), Err(FaceError::MultipleFaces)));
    // Head turned: the photo foreshortened about the face, as a head turned away looks.
    let turned = keystone(&img, 1.1, face.x + face.w / 2.0, face.y + face.h / 2.0, face.w);
    let outcome = engine().analyze(&jpeg(&turned));
    assert!(
        matches!(outcome, Err(FaceError::HeadTurned)),
        "{:?}",
        outcome.map(|a| face::quality::pose(&a.face.landmarks))
    );
    // A small face in the background is ignored: the largest face is used.
    let tiny = imageops::resize(&other, other.width() / 8, other.height() / 8, imageops::FilterType::Triangle);
    let mut crowd = img.clone();
    imageops::overlay(&mut crowd, &tiny, 0, 0);
    let analysis = engine().analyze(&jpeg(&crowd)).unwrap();
    assert!(analysis.face.w > face.w * 0.9);
}

#[test]
fn bad_files_are_refused_before_they_cost_memory() {
    let bytes = photo("df_img01.jpg");
    let mut garbage = bytes[..2000].to_vec();
    garbage.extend((0..20_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    let corrupt = engine().analyze(&garbage);
    assert!(matches!(corrupt, Err(FaceError::Corrupt(_))), "{corrupt:?}");
    assert!(matches!(engine().analyze(b"GIF89a not supported"), Err(FaceError::UnsupportedFormat)));
    assert!(matches!(engine().analyze(b"plain text"), Err(FaceError::UnsupportedFormat)));
    // A decompression bomb: 7000 x 7000 black pixels in a few dozen kilobytes.
    let bomb = image::GrayImage::new(7000, 7000);
    let mut png = std::io::Cursor::new(Vec::new());
    bomb.write_to(&mut png, image::ImageFormat::Png).unwrap();
    let png = png.into_inner();
    assert!(png.len() < 1_000_000);
    assert!(matches!(engine().analyze(&png), Err(FaceError::TooManyPixels { .. })));
    let limits = DecodeLimits { max_bytes: 1000, ..DecodeLimits::default() };
    assert!(matches!(decode::decode(&bytes, limits), Err(FaceError::TooManyBytes { .. })));
}

/// A JPEG whose pixels are stored turned a quarter, with the EXIF tag saying so, as a phone saves it.
fn with_orientation(img: &RgbImage, orientation: u8) -> Vec<u8> {
    let body = jpeg(img);
    // APP1: "Exif\0\0", a little-endian TIFF header, one IFD entry: Orientation (0x0112), SHORT, 1.
    let mut tiff = b"Exif\0\0II*\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0".to_vec();
    tiff.extend_from_slice(&[orientation, 0, 0, 0, 0, 0, 0, 0]);
    let len = (tiff.len() + 2) as u16;
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&tiff);
    out.extend_from_slice(&body[2..]);
    out
}

#[test]
fn phone_photos_are_turned_upright_by_their_exif_orientation() {
    let img = upright("df_img02.jpg");
    let reference = engine().analyze(&jpeg(&img)).unwrap();
    // Stored turned 90° anticlockwise; orientation 6 says: turn it 90° clockwise to view.
    let stored = imageops::rotate270(&img);
    let tagged = with_orientation(&stored, 6);
    assert_eq!(decode::decode(&tagged, DecodeLimits::default()).unwrap().dimensions(), img.dimensions());
    let analysis = engine().analyze(&tagged).unwrap();
    assert!(analysis.embedding.cosine(&reference.embedding) > 0.95);
}

#[test]
fn portrait_photos_run_transposed_with_the_same_landmarks() {
    // df_img01 is taller than wide, so it goes through the network rewritten for
    // transposed inputs; set in a wider canvas, `SHIFT` pixels from the left, through the
    // original network. The faces found must be the same, shifted right.
    const SHIFT: f32 = 200.0;
    let img = upright("df_img01.jpg");
    assert!(img.height() > img.width());
    let mut wide = RgbImage::new(img.height() + 40, img.height());
    imageops::overlay(&mut wide, &img, SHIFT as i64, 0);
    let portrait = engine().detect(&img).unwrap()[0].clone();
    let landscape = engine().detect(&wide).unwrap()[0].clone();
    let [re, le, ..] = portrait.landmarks;
    let eyes = (le[0] - re[0]).hypot(le[1] - re[1]);
    assert!((le[1] - re[1]).abs() < 0.3 * eyes, "eyes level: {portrait:?}");
    for (a, b) in portrait.landmarks.iter().zip(&landscape.landmarks) {
        let off = (a[0] + SHIFT - b[0]).hypot(a[1] - b[1]);
        assert!(off < 0.05 * eyes, "{portrait:?} {landscape:?}");
    }
    assert!((portrait.x + SHIFT - landscape.x).abs() < 0.05 * portrait.w);
    assert!((portrait.w / landscape.w - 1.0).abs() < 0.05 && (portrait.h / landscape.h - 1.0).abs() < 0.05);
}
