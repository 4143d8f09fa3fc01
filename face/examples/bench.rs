//! Accuracy and speed of the face pipeline on the shared labelled photos.
//!
//! `cargo run -p face --release --example bench -- MODELS_DIR IMAGES_DIR [ROUNDS]`
//!
//! Accuracy: every genuine and impostor pair of labels.csv, the largest face per photo;
//! FRR at FAR 1% and 0.1%, and the error rates at the default threshold (0.42).
//! Speed: per stage (decode, detect, align, embed) median and p99 over ROUNDS passes after
//! one untimed warm-up pass, then verifications per second with one thread per core, and the
//! process's peak memory.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use face::{align, decode, DecodeLimits, FaceEngine};

/// The server's default decision threshold (`SANDA_FACE_THRESHOLD`).
const THRESHOLD: f32 = 0.42;

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let models = PathBuf::from(args.next().ok_or("models dir")?);
    let images = PathBuf::from(args.next().ok_or("images dir")?);
    let rounds: usize = args.next().map(|r| r.parse()).transpose()?.unwrap_or(3);
    let t = Instant::now();
    let engine = FaceEngine::load(&models)?;
    println!("load: {:.0} ms", ms(t.elapsed()));

    let labels = std::fs::read_to_string(images.join("labels.csv"))?;
    let photos: Vec<(String, String, Vec<u8>)> = labels
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut c = l.split(',');
            let (file, id) = (c.next()?.to_owned(), c.next()?.to_owned());
            let bytes = std::fs::read(images.join(&file)).ok()?;
            Some((file, id, bytes))
        })
        .collect();

    // One untimed pass first: it warms the caches and builds the detector's plan for each
    // input shape met (a server pays that once per shape, tens of milliseconds).
    for (_, _, bytes) in &photos {
        engine.analyze(bytes).ok();
    }
    // Stages, timed separately; the largest face of each photo, no quality gates.
    let (mut dec, mut det, mut ali, mut emb) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    // The detector's letterboxing alone (it is also part of `detect`).
    let mut pre = Vec::new();
    let mut embeddings = Vec::new();
    for round in 0..rounds {
        for (file, id, bytes) in &photos {
            let t = Instant::now();
            let img = decode::decode(bytes, DecodeLimits::default())?;
            dec.push(t.elapsed());
            let t = Instant::now();
            let _ = face::detect::preprocess(&img);
            pre.push(t.elapsed());
            let t = Instant::now();
            let faces = engine.detect(&img)?;
            det.push(t.elapsed());
            let Some(face) = faces.first() else {
                eprintln!("{file}: no face");
                continue;
            };
            let t = Instant::now();
            let aligned = align::align(&img, &face.landmarks);
            ali.push(t.elapsed());
            let t = Instant::now();
            let e = engine.embed_aligned(&aligned)?;
            emb.push(t.elapsed());
            if round == 0 {
                embeddings.push((file.clone(), id.clone(), e));
            }
        }
    }
    println!("photos: {}, rounds: {rounds}", photos.len());
    for (name, v) in
        [("decode", &mut dec), ("detect", &mut det), ("(resize)", &mut pre), ("align", &mut ali), ("embed", &mut emb)]
    {
        println!("{name:>7}: median {:7.2} ms   p99 {:7.2} ms", ms(percentile(v, 0.5)), ms(percentile(v, 0.99)));
    }

    // Accuracy over all pairs.
    let (mut genuine, mut impostor) = (Vec::new(), Vec::new());
    embeddings.sort_by(|a, b| a.0.cmp(&b.0));
    let mut pairs = String::new();
    for i in 0..embeddings.len() {
        for j in i + 1..embeddings.len() {
            let s = embeddings[i].2.cosine(&embeddings[j].2);
            let decision = if s >= THRESHOLD { "match" } else { "no_match" };
            pairs.push_str(&format!("pair {} {} {decision} {s:.4}\n", embeddings[i].0, embeddings[j].0));
            if embeddings[i].1 == embeddings[j].1 {
                genuine.push(s)
            } else {
                impostor.push(s)
            }
        }
    }
    if let Ok(path) = std::env::var("PAIRS_OUT") {
        std::fs::write(path, pairs)?;
    }
    impostor.sort_by(|a, b| b.total_cmp(a));
    let frr_at = |far: f64| {
        let k = ((impostor.len() as f64) * far).floor() as usize;
        let threshold = impostor.get(k).copied().unwrap_or(1.0);
        let frr = genuine.iter().filter(|g| **g <= threshold).count() as f64 / genuine.len() as f64;
        (threshold, frr)
    };
    println!("pairs: {} genuine, {} impostor", genuine.len(), impostor.len());
    println!("genuine min {:.3}, impostor max {:.3}", genuine.iter().copied().fold(1.0, f32::min), impostor[0]);
    for far in [0.01, 0.001] {
        let (t, frr) = frr_at(far);
        println!("FAR {:>5.1}%: threshold {t:.3}, FRR {:.2}%", far * 100.0, frr * 100.0);
    }
    let threshold = THRESHOLD;
    let far = impostor.iter().filter(|s| **s >= threshold).count() as f64 / impostor.len() as f64;
    let frr = genuine.iter().filter(|s| **s < threshold).count() as f64 / genuine.len() as f64;
    println!("at {threshold:.2}: FAR {:.3}%, FRR {:.2}%", far * 100.0, frr * 100.0);

    // Throughput: full verifications (decode to embedding) on one thread per core.
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let small: Vec<&Vec<u8>> = photos.iter().map(|(_, _, b)| b).filter(|b| b.len() < 400_000).collect();
    let t = Instant::now();
    let done: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|k| {
                let (engine, small) = (&engine, &small);
                s.spawn(move || {
                    small.iter().skip(k).step_by(threads).cycle().take(40).filter(|b| engine.analyze(b).is_ok()).count()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    });
    let secs = t.elapsed().as_secs_f64();
    println!(
        "throughput: {} verifications in {secs:.1} s on {threads} threads = {:.1}/s ({:.1}/s per core)",
        done,
        done as f64 / secs,
        done as f64 / secs / threads as f64
    );
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM")) {
            println!("peak memory: {}", line.trim_start_matches("VmHWM:").trim());
        }
    }
    Ok(())
}
