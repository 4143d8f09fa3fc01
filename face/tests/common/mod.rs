//! What the engine tests share: the repository root, the shared photos and one engine.

#![allow(dead_code, reason = "each test binary uses its own part of this module")]

use std::path::PathBuf;
use std::sync::OnceLock;

use face::FaceEngine;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn images() -> PathBuf {
    root().join("../shared/face-data/images")
}

/// Models from `scripts/fetch-face-models` (`SANDA_FACE_MODELS`, default `data/models`).
pub fn engine() -> &'static FaceEngine {
    static ENGINE: OnceLock<FaceEngine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let dir =
            std::env::var_os("SANDA_FACE_MODELS").map(PathBuf::from).unwrap_or_else(|| root().join("data/models"));
        FaceEngine::load(&dir).unwrap_or_else(|e| panic!("{e} — run scripts/fetch-face-models first"))
    })
}

pub fn photo(name: &str) -> Vec<u8> {
    std::fs::read(images().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}
