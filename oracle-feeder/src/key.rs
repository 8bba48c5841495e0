//! Loading the reporter's private key from a keystore file or an environment variable.
//!
//! Never from the command line (argv is visible to every user of the machine through `ps` and
//! `/proc`), and never from the configuration file (which tends to end up in repositories and
//! backups). The environment lookup is injected so tests do not have to mutate the process
//! environment. No error message contains key material.

use alloy_primitives::B256;
use alloy_signer_local::PrivateKeySigner;

use crate::config::KeySource;

/// Why the reporter key could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The environment variable holding the key is not set.
    #[error("environment variable {var} (key.env) is not set")]
    KeyVarMissing {
        /// The variable.
        var: String,
    },
    /// The variable is set but does not hold a valid private key.
    #[error("environment variable {var} does not hold a valid private key (expected 32 bytes of hex, optionally 0x-prefixed)")]
    BadKey {
        /// The variable.
        var: String,
    },
    /// The environment variable holding the keystore password is not set.
    #[error("environment variable {var} (key.password_env) is not set: it must hold the password of {path}")]
    PasswordVarMissing {
        /// The variable.
        var: String,
        /// The keystore.
        path: String,
    },
    /// The keystore cannot be read or decrypted.
    #[error("cannot open keystore {path}: {reason}")]
    Keystore {
        /// The keystore.
        path: String,
        /// Why (wrong password, unreadable file, bad format).
        reason: String,
    },
}

/// Loads the signer described by `source`; `env` looks up environment variables.
pub fn load_signer(
    source: &KeySource,
    env: impl Fn(&str) -> Option<String>,
) -> Result<PrivateKeySigner, KeyError> {
    match source {
        KeySource::Env { var } => {
            let value = env(var).ok_or_else(|| KeyError::KeyVarMissing { var: var.clone() })?;
            parse_private_key(&value).ok_or_else(|| KeyError::BadKey { var: var.clone() })
        }
        KeySource::Keystore { path, password_env } => {
            let password = env(password_env).ok_or_else(|| KeyError::PasswordVarMissing {
                var: password_env.clone(),
                path: path.display().to_string(),
            })?;
            PrivateKeySigner::decrypt_keystore(path, password).map_err(|e| KeyError::Keystore {
                path: path.display().to_string(),
                reason: e.to_string(),
            })
        }
    }
}

/// The process environment, for [`load_signer`].
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// A hex private key (surrounding whitespace and a `0x` prefix allowed); `None` if invalid.
fn parse_private_key(text: &str) -> Option<PrivateKeySigner> {
    let text = text.trim();
    let hex = text.strip_prefix("0x").unwrap_or(text);
    if hex.len() != 64 {
        return None;
    }
    let bytes: B256 = hex.parse().ok()?;
    PrivateKeySigner::from_bytes(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::address;

    /// Hardhat / anvil account 1: public knowledge, holds nothing of value.
    const KEY: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

    fn env_with(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn key_from_an_environment_variable() {
        let source = KeySource::Env { var: "K".into() };
        let signer = load_signer(&source, env_with(&[("K", KEY)])).unwrap();
        assert_eq!(
            signer.address(),
            address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8")
        );
        let signer =
            load_signer(&source, env_with(&[("K", &format!(" {}\n", &KEY[2..]))])).unwrap();
        assert_eq!(
            signer.address(),
            address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8")
        );
    }

    #[test]
    fn env_errors_do_not_leak_the_value() {
        let source = KeySource::Env { var: "K".into() };
        let err = load_signer(&source, env_with(&[])).unwrap_err();
        assert!(matches!(err, KeyError::KeyVarMissing { .. }), "{err}");
        for bad in [
            "0x1234",
            &KEY[..60],
            &KEY.replace('5', "g"),
            &format!("0x{}", "0".repeat(64)),
        ] {
            let err = load_signer(&source, env_with(&[("K", bad)])).unwrap_err();
            assert!(matches!(err, KeyError::BadKey { .. }), "{bad}: {err}");
            assert!(!err.to_string().contains("59c6995e"), "{err}");
        }
    }

    #[test]
    fn key_from_a_keystore() {
        let dir = tempfile::tempdir().unwrap();
        let key_bytes: B256 = KEY.parse().unwrap();
        let (_, uuid) = PrivateKeySigner::encrypt_keystore(
            dir.path(),
            &mut rand::thread_rng(),
            key_bytes,
            "correct horse",
            Some("feeder.json"),
        )
        .unwrap();
        assert!(!uuid.is_empty());
        let source = KeySource::Keystore {
            path: dir.path().join("feeder.json"),
            password_env: "PW".into(),
        };
        let signer = load_signer(&source, env_with(&[("PW", "correct horse")])).unwrap();
        assert_eq!(
            signer.address(),
            address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8")
        );

        let err = load_signer(&source, env_with(&[("PW", "wrong")])).unwrap_err();
        assert!(matches!(err, KeyError::Keystore { .. }), "{err}");
        let err = load_signer(&source, env_with(&[])).unwrap_err();
        assert!(err.to_string().contains("PW"), "{err}");
        let missing = KeySource::Keystore {
            path: dir.path().join("nope.json"),
            password_env: "PW".into(),
        };
        let err = load_signer(&missing, env_with(&[("PW", "x")])).unwrap_err();
        assert!(err.to_string().contains("nope.json"), "{err}");
    }
}
