//! A validator's signing key on disk: one line of hex (the 32-byte ed25519 private key),
//! readable by its owner only. Keys are generated from the operating system's entropy and
//! never taken from the command line.

use std::{io::Write as _, path::Path};

use commonware_codec::{DecodeExt, Encode};
use commonware_cryptography::{ed25519, Signer};
use commonware_math::algebra::Random;

pub use ed25519::{PrivateKey, PublicKey};

/// A 32-byte public key as listed in the genesis or `[p2p] peers`; `None` when the bytes
/// are not a point of the curve.
pub fn public_key(bytes: &alloy_primitives::B256) -> Option<PublicKey> {
    PublicKey::decode(bytes.to_vec()).ok()
}

/// The 32 bytes of a public key, as the genesis and configuration list it.
pub fn public_key_bytes(key: &PublicKey) -> alloy_primitives::B256 {
    alloy_primitives::B256::from_slice(&key.encode())
}

/// The public key of `key`.
pub fn public_of(key: &PrivateKey) -> PublicKey {
    key.public_key()
}

/// Why a key file could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The file system refused.
    #[error("{path}: {source}")]
    Io {
        /// The key file.
        path: String,
        /// What failed.
        source: std::io::Error,
    },
    /// Other users could read the key.
    #[error("{path} is readable by other users (mode {mode:o}): run `chmod 600 {path}`")]
    Permissions {
        /// The key file.
        path: String,
        /// Its permission bits.
        mode: u32,
    },
    /// The content is not a key.
    #[error("{path} does not hold an ed25519 private key (one line of 64 hex digits)")]
    Malformed {
        /// The key file.
        path: String,
    },
}

/// Creates a key file at `path` holding a new key; refuses to replace an existing file
/// (a validator that loses its key and makes a new one would vote twice). Returns the
/// public key.
pub fn generate(path: &Path) -> Result<ed25519::PublicKey, KeyError> {
    let io = |source| KeyError::Io {
        path: path.display().to_string(),
        source,
    };
    let key = ed25519::PrivateKey::random(commonware_utils::sys_rng());
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(io)?;
    writeln!(file, "{}", alloy_primitives::hex::encode(key.encode()))
        .and_then(|()| file.sync_all())
        .map_err(io)?;
    Ok(key.public_key())
}

/// Reads the key file at `path`, refusing one that other users can read.
pub fn load(path: &Path) -> Result<ed25519::PrivateKey, KeyError> {
    let name = path.display().to_string();
    let io = |source| KeyError::Io {
        path: name.clone(),
        source,
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map_err(io)?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyError::Permissions { path: name, mode });
        }
    }
    let text = std::fs::read_to_string(path).map_err(io)?;
    let malformed = || KeyError::Malformed { path: name.clone() };
    let bytes = alloy_primitives::hex::decode(text.trim()).map_err(|_| malformed())?;
    if bytes.len() != 32 {
        return Err(malformed());
    }
    ed25519::PrivateKey::decode(bytes).map_err(|_| malformed())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_loads_back_and_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("validator.key");
        let public = generate(&path).unwrap();
        assert_eq!(load(&path).unwrap().public_key(), public);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert!(matches!(generate(&path), Err(KeyError::Io { .. })));
        assert_eq!(load(&path).unwrap().public_key(), public);
    }

    #[test]
    fn bad_key_files_are_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("validator.key");
        std::fs::write(&path, "not hex\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
            assert!(load(&path)
                .unwrap_err()
                .to_string()
                .contains("64 hex digits"));
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let err = load(&path).unwrap_err().to_string();
            assert!(err.contains("chmod 600"), "{err}");
        }
        let missing = load(&dir.path().join("absent.key")).unwrap_err();
        assert!(missing.to_string().contains("absent.key"));
    }
}
