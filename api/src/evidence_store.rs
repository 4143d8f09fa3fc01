//! Where the photos and scans of training sessions are kept. A store holds sealed bytes
//! under keys the server makes up (`training/<session>/<evidence>`); it never sees a file in
//! the clear, since attendance sheets show names and ID numbers. [`LocalDisk`] is the
//! default, under the data directory; servers behind a load balancer share one directory
//! (`SANDA_EVIDENCE_DIR`), or an object store implementing [`EvidenceStore`] takes its place.

use std::io;
use std::path::{Path, PathBuf};

/// A place to put, read and remove sealed evidence. Blocking: called on the blocking pool.
pub trait EvidenceStore: std::fmt::Debug + Send + Sync {
    /// Stores `sealed` under `key`, whole or not at all.
    fn put(&self, key: &str, sealed: &[u8]) -> io::Result<()>;
    fn get(&self, key: &str) -> io::Result<Vec<u8>>;
    /// Removes `key`; a key already gone is not an error.
    fn delete(&self, key: &str) -> io::Result<()>;
}

/// Files under a directory, one per key.
#[derive(Debug, Clone)]
pub struct LocalDisk {
    root: PathBuf,
}

impl LocalDisk {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The file of a key. Keys are the server's own (ids and slashes); anything else is
    /// refused rather than trusted as a path.
    fn path(&self, key: &str) -> io::Result<PathBuf> {
        let valid = !key.is_empty()
            && key.split('/').all(|part| {
                !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            });
        if !valid {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("not an evidence key: {key:?}")));
        }
        Ok(self.root.join(Path::new(key)))
    }
}

impl EvidenceStore for LocalDisk {
    fn put(&self, key: &str, sealed: &[u8]) -> io::Result<()> {
        let path = self.path(key)?;
        let dir = path.parent().unwrap_or(&self.root);
        std::fs::create_dir_all(dir)?;
        // Written aside and renamed into place: a reader never finds half a file.
        let partial = path.with_extension("partial");
        std::fs::write(&partial, sealed)?;
        std::fs::rename(&partial, &path)
    }

    fn get(&self, key: &str) -> io::Result<Vec<u8>> {
        std::fs::read(self.path(key)?)
    }

    fn delete(&self, key: &str) -> io::Result<()> {
        match std::fs::remove_file(self.path(key)?) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_files_under_the_root_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalDisk::new(dir.path());
        store.put("training/a-1/b_2", b"sealed").unwrap();
        assert_eq!(store.get("training/a-1/b_2").unwrap(), b"sealed");
        assert!(!dir.path().join("training/a-1/b_2.partial").exists());
        store.delete("training/a-1/b_2").unwrap();
        store.delete("training/a-1/b_2").unwrap();
        assert_eq!(store.get("training/a-1/b_2").unwrap_err().kind(), io::ErrorKind::NotFound);
        for bad in ["", "../x", "a/../../x", "/etc/passwd", "a//b", "a/b.c", "a\\b"] {
            assert_eq!(store.put(bad, b"x").unwrap_err().kind(), io::ErrorKind::InvalidInput, "{bad}");
        }
    }
}
