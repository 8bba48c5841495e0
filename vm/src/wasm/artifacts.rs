//! Compiled modules kept on disk by code hash, so that a restart, or a module evicted from the
//! memory cache, costs reading the artifact back instead of compiling the module again.
//!
//! Each artifact is one file, `<code hash>.cwasm`, holding a checksum over the code hash and
//! the artifact followed by the artifact wasmtime serialised. A file that is missing, damaged
//! (a crash in the middle of writing it), renamed, or written by another wasmtime version or
//! engine configuration is not used: the module is compiled again and the file rewritten.
//! Artifacts never decide a result; they only save compile time.

use std::{
    fs, io,
    path::{Path, PathBuf},
    sync::atomic::{AtomicU64, Ordering},
};

use alloy_primitives::{hex, Keccak256, B256};
use wasmtime::{Engine, Module};

/// The directory of compiled artifacts.
pub(crate) struct ArtifactStore {
    dir: PathBuf,
    /// Numbers the temporary files, so concurrent writers never share one.
    writes: AtomicU64,
}

impl ArtifactStore {
    /// Opens `dir`, creating it if needed.
    pub(crate) fn open(dir: &Path) -> io::Result<Self> {
        fs::create_dir_all(dir)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            writes: AtomicU64::new(0),
        })
    }

    fn path(&self, code_hash: &B256) -> PathBuf {
        self.dir.join(format!("{}.cwasm", hex::encode(code_hash)))
    }

    /// The module compiled earlier from the code with hash `code_hash`, if its artifact is
    /// here, intact and made by this engine.
    pub(crate) fn restore(&self, engine: &Engine, code_hash: &B256) -> Option<Module> {
        let bytes = fs::read(self.path(code_hash)).ok()?;
        let (checksum, artifact) = bytes.split_at_checked(32)?;
        if checksum != checksum_of(code_hash, artifact).as_slice() {
            return None;
        }
        deserialize(engine, artifact)
    }

    /// Keeps `module`, compiled from the code with hash `code_hash`. Written to a temporary
    /// file and renamed, so a reader sees a whole file or none. A failure (disk full, no
    /// permission) only means the module is compiled again next time.
    pub(crate) fn keep(&self, code_hash: &B256, module: &Module) {
        let Ok(artifact) = module.serialize() else {
            return;
        };
        let mut bytes = checksum_of(code_hash, &artifact).to_vec();
        bytes.extend_from_slice(&artifact);
        let path = self.path(code_hash);
        let write = self.writes.fetch_add(1, Ordering::Relaxed);
        let temporary = path.with_extension(format!("{}.{write}.tmp", std::process::id()));
        let written = fs::write(&temporary, &bytes).and_then(|()| fs::rename(&temporary, &path));
        if written.is_err() {
            let _ = fs::remove_file(&temporary);
        }
    }
}

/// The checksum binds the artifact to the code it was compiled from: a file copied under
/// another code hash does not pass.
fn checksum_of(code_hash: &B256, artifact: &[u8]) -> B256 {
    let mut hasher = Keccak256::new();
    hasher.update(code_hash);
    hasher.update(artifact);
    hasher.finalize()
}

#[allow(unsafe_code)] // wasmtime's deserialisation trusts its input; see the SAFETY comment.
fn deserialize(engine: &Engine, artifact: &[u8]) -> Option<Module> {
    // SAFETY: wasmtime runs the machine code of an artifact as it is, so it must have been
    // produced by `Module::serialize`. This one was: the node wrote it into its own data
    // directory (whoever can write there can replace the node itself), and the checksum,
    // checked just before, proves the bytes are those written for this code hash and not a
    // torn or damaged file. wasmtime itself refuses an artifact of another version or
    // engine configuration with an error, handled as a missing artifact.
    unsafe { Module::deserialize(engine, artifact) }.ok()
}
