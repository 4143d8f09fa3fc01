//! Prints what the liveness thresholds were set from, for every shared photo and its mirror
//! image: the head pose, how much a replay (re-encoded, rescaled) moves the pose and the
//! fingerprint, how similar two faces of one person are across poses, and which photos
//! make up a sequence that passes a challenge:
//! `cargo run -p face --example poses -- MODELS_DIR IMAGES_DIR`.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use face::liveness::{self, fingerprint, hamming, judge, Frame, LivenessLimits, Movement};
use face::{align, decode, pose, quality, DecodeLimits, FaceEngine, FaceError, HeadPose};
use image::{imageops, RgbImage};

/// One photo or its mirror image, through the pipeline.
struct Face {
    label: String,
    photo: String,
    identity: String,
    pose: HeadPose,
    frame: Frame,
}

fn jpeg(img: &RgbImage, quality: u8) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let mut out = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality).encode_image(img)?;
    Ok(out.into_inner())
}

/// Largest face: landmarks, embedding, fingerprint; `None` without a face or a pose.
fn analyse(engine: &FaceEngine, img: &RgbImage) -> Result<Option<(HeadPose, Frame)>, FaceError> {
    let Some(face) = engine.detect(img)?.into_iter().next() else { return Ok(None) };
    let Some(pose) = pose::estimate(&face.landmarks) else { return Ok(None) };
    let aligned = align::align(img, &face.landmarks);
    let embedding = engine.embed_aligned(&aligned)?;
    Ok(Some((pose, Frame { step: 0, landmarks: face.landmarks, embedding, fingerprint: fingerprint(&aligned) })))
}

fn labels(images: &Path) -> Result<BTreeMap<String, String>, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(images.join("labels.csv"))?;
    Ok(text
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut cells = l.split(',');
            Some((cells.next()?.to_owned(), cells.next()?.to_owned()))
        })
        .collect())
}

fn stats(mut v: Vec<f32>) -> String {
    v.sort_by(f32::total_cmp);
    let q = |p: f32| v.get(((v.len() as f32 - 1.0) * p).round() as usize).copied().unwrap_or(f32::NAN);
    format!(
        "n {:>4}  min {:6.3}  p1 {:6.3}  median {:6.3}  p99 {:6.3}  max {:6.3}",
        v.len(),
        q(0.0),
        q(0.01),
        q(0.5),
        q(0.99),
        q(1.0)
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let models = PathBuf::from(args.next().ok_or("models dir")?);
    let images = PathBuf::from(args.next().ok_or("images dir")?);
    let engine = FaceEngine::load(&models)?;
    let mut faces = Vec::new();
    let mut replays: Vec<(f32, f32)> = Vec::new();
    let mut caught = 0;
    let limits = LivenessLimits::default();
    println!(
        "{:<22} {:>6} {:>6}  gate proxy (yaw, pitch)  replays (JPEG q40; 90% size, q85): bits, pose change",
        "photo", "yaw", "pitch"
    );
    for (photo, identity) in labels(&images)? {
        let img = decode::decode(&std::fs::read(images.join(&photo))?, DecodeLimits::default())?;
        for mirrored in [false, true] {
            let img = if mirrored { imageops::flip_horizontal(&img) } else { img.clone() };
            let Some((pose, frame)) = analyse(&engine, &img)? else { continue };
            let gate = quality::choose(&engine.detect(&img)?, &engine.quality);
            let proxy = quality::pose(&frame.landmarks);
            let mut line = String::new();
            let small =
                imageops::resize(&img, img.width() * 9 / 10, img.height() * 9 / 10, imageops::FilterType::Triangle);
            for bytes in [jpeg(&img, 40)?, jpeg(&small, 85)?] {
                let again = decode::decode(&bytes, DecodeLimits::default())?;
                if let Some((p, f)) = analyse(&engine, &again)? {
                    let bits = hamming(frame.fingerprint, f.fingerprint);
                    let moved = (p.yaw - pose.yaw).abs().max((p.pitch - pose.pitch).abs());
                    replays.push((bits as f32, moved));
                    caught += usize::from(bits <= limits.duplicate_bits && moved <= limits.duplicate_pose);
                    line.push_str(&format!("  {bits:>2} {moved:>4.1}°"));
                }
            }
            let label = format!("{photo}{}", if mirrored { " (mirror)" } else { "" });
            let gate = if gate.is_ok() { "ok" } else { "no" };
            println!(
                "{label:<22} {:>6.1} {:>6.1}  {gate:<4} {:>5.2} {:>5.2}   {line}",
                pose.yaw, pose.pitch, proxy.0, proxy.1
            );
            faces.push(Face { label, photo: photo.clone(), identity: identity.clone(), pose, frame });
        }
    }
    println!("\nreplays: fingerprint bits {}", stats(replays.iter().map(|r| r.0).collect()));
    println!("replays: pose change (°)  {}", stats(replays.iter().map(|r| r.1).collect()));
    println!("replays within the default duplicate limits (if sent for two steps): {caught} of {}", replays.len());

    let mut genuine: BTreeMap<u32, Vec<f32>> = BTreeMap::new();
    let mut bits: BTreeMap<u32, Vec<f32>> = BTreeMap::new();
    let (mut impostor, mut own_mirror) = (Vec::new(), Vec::new());
    for (i, a) in faces.iter().enumerate() {
        for b in faces.iter().skip(i + 1) {
            let s = a.frame.embedding.cosine(&b.frame.embedding);
            let apart = (a.pose.yaw - b.pose.yaw).abs().max((a.pose.pitch - b.pose.pitch).abs());
            let bucket = (apart / 10.0) as u32 * 10;
            if a.identity != b.identity {
                impostor.push(s);
            } else if a.photo == b.photo {
                own_mirror.push(s);
            } else {
                genuine.entry(bucket).or_default().push(s);
                bits.entry(bucket).or_default().push(hamming(a.frame.fingerprint, b.frame.fingerprint) as f32);
            }
        }
    }
    println!("\ncosine, two photos of one person (photos and mirror images), by pose difference:");
    for (bucket, v) in genuine {
        println!("  {bucket:>2}–{:<2}°  {}", bucket + 10, stats(v));
    }
    println!("cosine, a photo and its own mirror image: {}", stats(own_mirror));
    println!("cosine, two people:                        {}", stats(impostor));
    println!("fingerprint bits, two photos of one person, by pose difference:");
    for (bucket, v) in bits {
        println!("  {bucket:>2}–{:<2}°  {}", bucket + 10, stats(v));
    }
    passing_sequences(&faces);
    Ok(())
}

/// For each person and each challenge of 2 or 3 steps, the first choice of one photo (or
/// mirror image) per step that passes, with the default limits.
fn passing_sequences(faces: &[Face]) {
    let limits = LivenessLimits::default();
    let mut challenges: Vec<Vec<Movement>> = Vec::new();
    for seed in 0u32..4000 {
        for len in [2, 3] {
            let c = liveness::challenge(&seed.to_le_bytes(), len);
            if !challenges.contains(&c) {
                challenges.push(c);
            }
        }
    }
    challenges.sort_by_key(|c| (c.len(), c.iter().map(|m| m.as_str()).collect::<Vec<_>>()));
    let mut identities: Vec<&str> = faces.iter().map(|f| f.identity.as_str()).collect();
    identities.sort_unstable();
    identities.dedup();
    println!("\npassing sequences (one photo or mirror image per step; default limits):");
    for identity in identities {
        let own: Vec<&Face> = faces.iter().filter(|f| f.identity == identity).collect();
        for steps in &challenges {
            let mut pick = vec![0usize; steps.len()];
            'search: loop {
                let frames: Vec<Frame> = pick
                    .iter()
                    .enumerate()
                    .filter_map(|(s, &i)| own.get(i).map(|f| Frame { step: s, ..f.frame.clone() }))
                    .collect();
                let verdict = judge(steps, &frames, &limits);
                if verdict.passed {
                    let names: Vec<String> = pick
                        .iter()
                        .zip(steps)
                        .filter_map(|(&i, m)| {
                            own.get(i).map(|f| format!("{m}: {} ({:.1}, {:.1})", f.label, f.pose.yaw, f.pose.pitch))
                        })
                        .collect();
                    println!(
                        "  {identity:<20} {}; min cosine {:.3}",
                        names.join(", "),
                        verdict.min_similarity.unwrap_or(f32::NAN)
                    );
                    break;
                }
                // Next choice, like an odometer.
                for digit in pick.iter_mut() {
                    *digit += 1;
                    if *digit < own.len() {
                        continue 'search;
                    }
                    *digit = 0;
                }
                break;
            }
        }
    }
}
