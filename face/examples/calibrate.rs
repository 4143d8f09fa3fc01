//! Prints, for every shared photo, what the quality gates measure, to set their thresholds:
//! `cargo run -p face --release --example calibrate -- MODELS_DIR IMAGES_DIR`.

use std::path::PathBuf;

use face::{align, decode, quality, FaceEngine};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let models = PathBuf::from(args.next().ok_or("models dir")?);
    let images = PathBuf::from(args.next().ok_or("images dir")?);
    let engine = FaceEngine::load(&models)?;
    let mut files: Vec<_> = std::fs::read_dir(&images)?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jpg"))
        .collect();
    files.sort();
    println!("file faces w h second_ratio yaw pitch brightness sharpness");
    for f in files {
        let img = decode::decode(&std::fs::read(&f)?, face::DecodeLimits::default())?;
        let faces = engine.detect(&img)?;
        let Some(first) = faces.first() else {
            println!("{} 0", f.display());
            continue;
        };
        let ratio = faces.get(1).map_or(0.0, |s| s.area() / first.area());
        let (yaw, pitch) = quality::pose(&first.landmarks);
        let aligned = align::align(&img, &first.landmarks);
        println!(
            "{} {} {:.0} {:.0} {:.2} {:.2} {:.2} {:.0} {:.0}",
            f.file_name().and_then(|n| n.to_str()).unwrap_or("?"),
            faces.len(),
            first.w,
            first.h,
            ratio,
            yaw,
            pitch,
            quality::brightness(&aligned),
            quality::sharpness(&aligned)
        );
    }
    Ok(())
}
