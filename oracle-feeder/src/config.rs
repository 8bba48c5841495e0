//! The feeder's TOML configuration: parsed strictly, then validated into typed values.
//!
//! Two layers: [`FileConfig`] mirrors the file (serde, `deny_unknown_fields`, defaults), and
//! [`FeederConfig`] is what the feeder runs with (parsed URLs, addresses, fractions,
//! durations). Every validation error names the offending key (`tokens[0].sources[1].url`),
//! so a misconfigured feeder stops at startup with a message that says what to fix. The
//! private key is never part of the file: `[key]` only says where to find it.

use std::{
    collections::HashSet,
    net::SocketAddr,
    path::{Path, PathBuf},
    str::FromStr,
    time::Duration,
};

use alloy_primitives::Address;
use reqwest::Url;
use serde::Deserialize;
use supervm_primitives::system::ORACLE;

use crate::fraction::Fraction;

/// Default environment variable holding the keystore password.
pub const DEFAULT_PASSWORD_ENV: &str = "SUPERVM_FEEDER_KEYSTORE_PASSWORD";

/// Why a configuration is unusable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read feeder configuration {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Not valid TOML, an unknown key, or a value of the wrong type. The message names the key
    /// and the position but does not quote the line: a private key pasted into the file by
    /// mistake must not end up in the logs.
    #[error("invalid feeder configuration{}: line {line}, column {column}{}: {message}", path_suffix(.path), key_suffix(.key))]
    Parse {
        /// The file, if read from one.
        path: Option<PathBuf>,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// The key assigned on that line, if any.
        key: Option<String>,
        /// The TOML parser's message.
        message: String,
    },
    /// A value that parses but is not acceptable.
    #[error("invalid feeder configuration{}: {field}: {reason}", path_suffix(.path))]
    Invalid {
        /// The file, if read from one.
        path: Option<PathBuf>,
        /// The key, e.g. `tokens[0].sources[1].url`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
}

fn key_suffix(key: &Option<String>) -> String {
    key.as_ref()
        .map(|k| format!(" (key `{k}`)"))
        .unwrap_or_default()
}

fn path_suffix(path: &Option<PathBuf>) -> String {
    path.as_ref()
        .map(|p| format!(" {}", p.display()))
        .unwrap_or_default()
}

// ------------------------------------------------------------------------------------------
// The file as written.
// ------------------------------------------------------------------------------------------

/// The TOML file, key for key.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// JSON-RPC endpoint of a node.
    #[serde(default = "default_rpc_url")]
    pub rpc_url: String,
    /// Chain id to sign for; asked from the node (`eth_chainId`) if absent.
    #[serde(default)]
    pub chain_id: Option<u64>,
    /// Address of the oracle contract.
    #[serde(default = "default_oracle")]
    pub oracle: String,
    /// Seconds between two poll rounds.
    #[serde(default = "default_poll_interval_secs")]
    pub poll_interval_secs: u64,
    /// Timeout of one request to a price source, in milliseconds.
    #[serde(default = "default_request_timeout_ms")]
    pub request_timeout_ms: u64,
    /// Timeout of one JSON-RPC request to the node, in milliseconds.
    #[serde(default = "default_rpc_timeout_ms")]
    pub rpc_timeout_ms: u64,
    /// Where `/health` is served.
    #[serde(default = "default_health_addr")]
    pub health_addr: String,
    /// Where the reporter key comes from.
    #[serde(default)]
    pub key: Option<FileKey>,
    /// The tokens to report.
    #[serde(default)]
    pub tokens: Vec<FileToken>,
}

/// `[key]`: a keystore file or an environment variable, never the key itself.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileKey {
    /// Path of a Web3 Secret Storage (geth / foundry) keystore file.
    #[serde(default)]
    pub keystore: Option<PathBuf>,
    /// Environment variable holding the keystore password.
    #[serde(default)]
    pub password_env: Option<String>,
    /// Environment variable holding the hex private key.
    #[serde(default)]
    pub env: Option<String>,
}

/// `[[tokens]]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileToken {
    /// The token's address.
    pub address: String,
    /// Its symbol (for logs and `/health`).
    pub symbol: String,
    /// Sane, agreeing sources needed for a report.
    #[serde(default = "default_min_sources")]
    pub min_sources: usize,
    /// Largest distance of an agreeing source from the median, in basis points.
    #[serde(default = "default_max_spread_bps")]
    pub max_spread_bps: u64,
    /// The price sources.
    #[serde(default)]
    pub sources: Vec<FileSource>,
}

/// `[[tokens.sources]]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSource {
    /// Name for logs and `/health`.
    pub name: String,
    /// URL answering JSON to a GET.
    pub url: String,
    /// RFC 6901 JSON pointer to the quote, e.g. `/ethereum/usd`.
    pub pointer: String,
    /// Whether the quote is the inverse of the wanted price.
    #[serde(default)]
    pub invert: bool,
    /// Decimal factor from the (inverted) quote to token base units per wei.
    #[serde(default = "default_scale")]
    pub scale: String,
}

fn default_rpc_url() -> String {
    "http://127.0.0.1:8545".into()
}
fn default_oracle() -> String {
    format!("{ORACLE:#x}")
}
fn default_poll_interval_secs() -> u64 {
    30
}
fn default_request_timeout_ms() -> u64 {
    5_000
}
fn default_rpc_timeout_ms() -> u64 {
    10_000
}
fn default_health_addr() -> String {
    "127.0.0.1:9100".into()
}
fn default_min_sources() -> usize {
    2
}
fn default_max_spread_bps() -> u64 {
    200
}
fn default_scale() -> String {
    "1".into()
}

// ------------------------------------------------------------------------------------------
// The validated configuration.
// ------------------------------------------------------------------------------------------

/// What the feeder runs with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeederConfig {
    /// JSON-RPC endpoint of a node.
    pub rpc_url: Url,
    /// Chain id to sign for (`None`: ask the node).
    pub chain_id: Option<u64>,
    /// The oracle contract.
    pub oracle: Address,
    /// Time between the starts of two poll rounds.
    pub poll_interval: Duration,
    /// Timeout of one request to a price source.
    pub request_timeout: Duration,
    /// Timeout of one JSON-RPC request.
    pub rpc_timeout: Duration,
    /// Where `/health` is served.
    pub health_addr: SocketAddr,
    /// Where the reporter key comes from.
    pub key: KeySource,
    /// The tokens to report.
    pub tokens: Vec<TokenConfig>,
}

/// Where the reporter's private key comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// An encrypted keystore file; the password is in an environment variable.
    Keystore {
        /// The keystore file.
        path: PathBuf,
        /// The variable holding its password.
        password_env: String,
    },
    /// A hex private key in an environment variable.
    Env {
        /// The variable.
        var: String,
    },
}

/// One token to report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenConfig {
    /// The token's address (the `token` argument of `report`).
    pub address: Address,
    /// Its symbol.
    pub symbol: String,
    /// Sane, agreeing sources needed for a report (1 ..= number of sources).
    pub min_sources: usize,
    /// Largest distance of an agreeing source from the median, in basis points.
    pub max_spread_bps: u64,
    /// The price sources.
    pub sources: Vec<SourceConfig>,
}

/// One price source of a token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceConfig {
    /// Name for logs and `/health`.
    pub name: String,
    /// URL answering JSON to a GET.
    pub url: Url,
    /// RFC 6901 JSON pointer to the quote.
    pub pointer: String,
    /// Whether to take `1 / quote`.
    pub invert: bool,
    /// Factor applied after the inversion.
    pub scale: Fraction,
}

impl FeederConfig {
    /// Reads and validates a configuration file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text).map_err(|err| match err {
            ConfigError::Parse {
                line,
                column,
                key,
                message,
                ..
            } => ConfigError::Parse {
                path: Some(path.to_path_buf()),
                line,
                column,
                key,
                message,
            },
            ConfigError::Invalid { field, reason, .. } => ConfigError::Invalid {
                path: Some(path.to_path_buf()),
                field,
                reason,
            },
            other => other,
        })
    }

    /// Parses and validates the text of a configuration file.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let file: FileConfig = toml::from_str(text).map_err(|err| {
            let (line, column) = err
                .span()
                .map(|span| line_and_column(text, span.start))
                .unwrap_or((0, 0));
            let key = text
                .lines()
                .nth(line.saturating_sub(1))
                .and_then(|l| l.split_once('='))
                .map(|(k, _)| k.trim().to_string())
                .filter(|k| !k.is_empty());
            ConfigError::Parse {
                path: None,
                line,
                column,
                key,
                message: err.message().trim_end().to_string(),
            }
        })?;
        file.validate()
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// A validation error for `field`.
fn invalid(field: impl Into<String>, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        path: None,
        field: field.into(),
        reason: reason.into(),
    }
}

impl FileConfig {
    /// Checks every value and converts it to its type.
    pub fn validate(self) -> Result<FeederConfig, ConfigError> {
        let rpc_url = http_url("rpc_url", &self.rpc_url)?;
        if self.chain_id == Some(0) {
            return Err(invalid("chain_id", "must not be 0"));
        }
        let oracle = parse_address("oracle", &self.oracle)?;
        if self.poll_interval_secs == 0 {
            return Err(invalid("poll_interval_secs", "must be at least 1"));
        }
        if self.request_timeout_ms == 0 {
            return Err(invalid("request_timeout_ms", "must be at least 1"));
        }
        if self.rpc_timeout_ms == 0 {
            return Err(invalid("rpc_timeout_ms", "must be at least 1"));
        }
        let health_addr = SocketAddr::from_str(&self.health_addr).map_err(|e| {
            invalid(
                "health_addr",
                format!("{e}: expected IP:PORT such as 127.0.0.1:9100"),
            )
        })?;
        let key = validate_key(self.key)?;
        if self.tokens.is_empty() {
            return Err(invalid(
                "tokens",
                "at least one [[tokens]] entry is required",
            ));
        }
        let mut addresses = HashSet::new();
        let mut tokens = Vec::with_capacity(self.tokens.len());
        for (i, token) in self.tokens.into_iter().enumerate() {
            let token = validate_token(&format!("tokens[{i}]"), token)?;
            if !addresses.insert(token.address) {
                return Err(invalid(
                    format!("tokens[{i}].address"),
                    format!("{} is listed twice", token.address),
                ));
            }
            tokens.push(token);
        }
        Ok(FeederConfig {
            rpc_url,
            chain_id: self.chain_id,
            oracle,
            poll_interval: Duration::from_secs(self.poll_interval_secs),
            request_timeout: Duration::from_millis(self.request_timeout_ms),
            rpc_timeout: Duration::from_millis(self.rpc_timeout_ms),
            health_addr,
            key,
            tokens,
        })
    }
}

fn validate_key(key: Option<FileKey>) -> Result<KeySource, ConfigError> {
    let Some(key) = key else {
        return Err(invalid(
            "key",
            "missing [key] section: set key.keystore (with the password in the environment \
             variable named by key.password_env) or key.env (an environment variable holding \
             the hex private key)",
        ));
    };
    let check_var = |field: &str, name: &str| {
        let hex = name.strip_prefix("0x").unwrap_or(name);
        if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            // Never echo it: it is probably the key itself.
            return Err(invalid(
                field,
                "this looks like a private key, not the name of an environment variable: \
                 put the key in an environment variable and give its name here",
            ));
        }
        let mut bytes = name.bytes();
        let valid = bytes
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if valid {
            Ok(())
        } else {
            Err(invalid(
                field,
                "not an environment variable name (letters, digits and '_', not starting with \
                 a digit)",
            ))
        }
    };
    match (key.keystore, key.env) {
        (Some(_), Some(_)) => Err(invalid(
            "key",
            "set either key.keystore or key.env, not both",
        )),
        (None, None) => Err(invalid(
            "key",
            "set key.keystore (a keystore file) or key.env (an environment variable holding the \
             hex private key)",
        )),
        (Some(path), None) => {
            if path.as_os_str().is_empty() {
                return Err(invalid("key.keystore", "must not be empty"));
            }
            let password_env = key
                .password_env
                .unwrap_or_else(|| DEFAULT_PASSWORD_ENV.to_string());
            check_var("key.password_env", &password_env)?;
            Ok(KeySource::Keystore { path, password_env })
        }
        (None, Some(var)) => {
            if key.password_env.is_some() {
                return Err(invalid("key.password_env", "only applies to key.keystore"));
            }
            check_var("key.env", &var)?;
            Ok(KeySource::Env { var })
        }
    }
}

fn validate_token(field: &str, token: FileToken) -> Result<TokenConfig, ConfigError> {
    let address = parse_address(&format!("{field}.address"), &token.address)?;
    if token.symbol.trim().is_empty() {
        return Err(invalid(format!("{field}.symbol"), "must not be empty"));
    }
    if token.sources.is_empty() {
        return Err(invalid(
            format!("{field}.sources"),
            "at least one [[tokens.sources]] entry is required",
        ));
    }
    if token.min_sources == 0 || token.min_sources > token.sources.len() {
        return Err(invalid(
            format!("{field}.min_sources"),
            format!(
                "must be between 1 and the number of sources ({}), got {}",
                token.sources.len(),
                token.min_sources
            ),
        ));
    }
    if token.max_spread_bps > 10_000 {
        return Err(invalid(
            format!("{field}.max_spread_bps"),
            format!(
                "must be at most 10000 (100 %), got {}",
                token.max_spread_bps
            ),
        ));
    }
    let mut names = HashSet::new();
    let mut sources = Vec::with_capacity(token.sources.len());
    for (j, source) in token.sources.into_iter().enumerate() {
        let field = format!("{field}.sources[{j}]");
        if source.name.trim().is_empty() {
            return Err(invalid(format!("{field}.name"), "must not be empty"));
        }
        if !names.insert(source.name.clone()) {
            return Err(invalid(
                format!("{field}.name"),
                format!("{:?} is used twice in this token", source.name),
            ));
        }
        let url = http_url(&format!("{field}.url"), &source.url)?;
        if !(source.pointer.is_empty() || source.pointer.starts_with('/')) {
            return Err(invalid(
                format!("{field}.pointer"),
                "a JSON pointer is empty or starts with '/', e.g. \"/ethereum/usd\"",
            ));
        }
        let scale = Fraction::parse_decimal(&source.scale).map_err(|e| {
            invalid(
                format!("{field}.scale"),
                format!("{e}: expected a positive decimal such as \"0.000000000001\""),
            )
        })?;
        sources.push(SourceConfig {
            name: source.name,
            url,
            pointer: source.pointer,
            invert: source.invert,
            scale,
        });
    }
    Ok(TokenConfig {
        address,
        symbol: token.symbol,
        min_sources: token.min_sources,
        max_spread_bps: token.max_spread_bps,
        sources,
    })
}

fn http_url(field: &str, text: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(text).map_err(|e| invalid(field, format!("{e}: {text:?}")))?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(invalid(
            field,
            format!("scheme {other:?} is not supported (http or https)"),
        )),
    }
}

fn parse_address(field: &str, text: &str) -> Result<Address, ConfigError> {
    Address::from_str(text)
        .map_err(|_| invalid(field, format!("{text:?} is not a 20-byte hex address")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
        [key]
        env = "SUPERVM_FEEDER_KEY"

        [[tokens]]
        address = "0x00000000000000000000000000000000000005d1"
        symbol = "sUSD"

        [[tokens.sources]]
        name = "a"
        url = "https://example.com/a"
        pointer = "/ethereum/usd"
        scale = "0.000000000001"

        [[tokens.sources]]
        name = "b"
        url = "http://127.0.0.1:8080/b"
        pointer = "/price"
        invert = true
    "#;

    fn error(text: &str) -> String {
        FeederConfig::parse(text).unwrap_err().to_string()
    }

    #[test]
    fn defaults() {
        let config = FeederConfig::parse(MINIMAL).unwrap();
        assert_eq!(config.rpc_url.as_str(), "http://127.0.0.1:8545/");
        assert_eq!(config.chain_id, None);
        assert_eq!(config.oracle, ORACLE);
        assert_eq!(config.poll_interval, Duration::from_secs(30));
        assert_eq!(config.request_timeout, Duration::from_millis(5000));
        assert_eq!(config.health_addr, "127.0.0.1:9100".parse().unwrap());
        assert_eq!(
            config.key,
            KeySource::Env {
                var: "SUPERVM_FEEDER_KEY".into()
            }
        );
        let token = &config.tokens[0];
        assert_eq!(token.min_sources, 2);
        assert_eq!(token.max_spread_bps, 200);
        assert_eq!(
            token.sources[0].scale,
            Fraction::parse_decimal("1e-12").unwrap()
        );
        assert!(!token.sources[0].invert);
        assert_eq!(token.sources[1].scale, Fraction::ONE);
        assert!(token.sources[1].invert);
    }

    #[test]
    fn keystore_password_variable_defaults() {
        let text = MINIMAL.replace(
            "env = \"SUPERVM_FEEDER_KEY\"",
            "keystore = \"/etc/supervm/feeder.json\"",
        );
        assert_eq!(
            FeederConfig::parse(&text).unwrap().key,
            KeySource::Keystore {
                path: "/etc/supervm/feeder.json".into(),
                password_env: DEFAULT_PASSWORD_ENV.into()
            }
        );
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let e = error(&format!("pol_interval_secs = 5\n{MINIMAL}"));
        assert!(e.contains("pol_interval_secs"), "{e}");
        assert!(e.contains("line 1, column 1"), "{e}");
        let e = error(&MINIMAL.replace("invert = true", "invert = true\nmultiplier = 2"));
        assert!(e.contains("multiplier"), "{e}");
        // A key in the file is an unknown field, not a way in.
        let e = error(&MINIMAL.replace(
            "env = \"SUPERVM_FEEDER_KEY\"",
            "private_key = \"0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d\"",
        ));
        assert!(e.contains("private_key"), "{e}");
        assert!(
            !e.contains("59c6995e"),
            "the error must not echo key material: {e}"
        );
    }

    #[test]
    fn key_source_errors() {
        let without_key = MINIMAL.replace("[key]\n        env = \"SUPERVM_FEEDER_KEY\"", "");
        let e = error(&without_key);
        assert!(e.contains("key: missing [key] section"), "{e}");
        let e = error(&MINIMAL.replace("env = \"SUPERVM_FEEDER_KEY\"", ""));
        assert!(e.contains("key: set key.keystore"), "{e}");
        let e = error(&MINIMAL.replace(
            "env = \"SUPERVM_FEEDER_KEY\"",
            "env = \"K\"\nkeystore = \"k.json\"",
        ));
        assert!(e.contains("not both"), "{e}");
        let e = error(&MINIMAL.replace(
            "env = \"SUPERVM_FEEDER_KEY\"",
            "env = \"K\"\npassword_env = \"P\"",
        ));
        assert!(e.contains("key.password_env"), "{e}");
        let e = error(&MINIMAL.replace("env = \"SUPERVM_FEEDER_KEY\"", "env = \"\""));
        assert!(e.contains("key.env"), "{e}");
        let e = error(&MINIMAL.replace("env = \"SUPERVM_FEEDER_KEY\"", "env = \"MY-KEY\""));
        assert!(
            e.contains("key.env: not an environment variable name"),
            "{e}"
        );
        // A key pasted where the variable name goes is refused without being echoed.
        for pasted in [
            "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
            "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
        ] {
            let e = error(&MINIMAL.replace("SUPERVM_FEEDER_KEY", pasted));
            assert!(e.contains("key.env: this looks like a private key"), "{e}");
            assert!(!e.contains(&pasted[2..10]), "{e}");
        }
    }

    #[test]
    fn value_errors_name_the_field() {
        let cases = [
            (
                "https://example.com/a",
                "ftp://example.com/a",
                "tokens[0].sources[0].url",
            ),
            (
                "https://example.com/a",
                "not a url",
                "tokens[0].sources[0].url",
            ),
            (
                "pointer = \"/price\"",
                "pointer = \"price\"",
                "tokens[0].sources[1].pointer",
            ),
            (
                "scale = \"0.000000000001\"",
                "scale = \"0\"",
                "tokens[0].sources[0].scale",
            ),
            (
                "scale = \"0.000000000001\"",
                "scale = \"1/3\"",
                "tokens[0].sources[0].scale",
            ),
            ("name = \"b\"", "name = \"a\"", "tokens[0].sources[1].name"),
            (
                "symbol = \"sUSD\"",
                "symbol = \"sUSD\"\nmin_sources = 3",
                "tokens[0].min_sources",
            ),
            (
                "symbol = \"sUSD\"",
                "symbol = \"sUSD\"\nmin_sources = 0",
                "tokens[0].min_sources",
            ),
            (
                "symbol = \"sUSD\"",
                "symbol = \"sUSD\"\nmax_spread_bps = 10001",
                "tokens[0].max_spread_bps",
            ),
            ("symbol = \"sUSD\"", "symbol = \" \"", "tokens[0].symbol"),
            (
                "0x00000000000000000000000000000000000005d1",
                "0x5d1",
                "tokens[0].address",
            ),
        ];
        for (from, to, field) in cases {
            let text = MINIMAL.replace(from, to);
            let e = error(&text);
            assert!(
                e.contains(&format!("{field}:")),
                "{to}: expected an error naming {field}, got {e}"
            );
        }
        let top = [
            ("rpc_url = \"localhost:8545\"", "rpc_url"),
            ("oracle = \"0xfee2\"", "oracle"),
            ("poll_interval_secs = 0", "poll_interval_secs"),
            ("request_timeout_ms = 0", "request_timeout_ms"),
            ("health_addr = \"localhost\"", "health_addr"),
            ("chain_id = 0", "chain_id"),
        ];
        for (line, field) in top {
            let e = error(&format!("{line}\n{MINIMAL}"));
            assert!(
                e.contains(&format!("{field}:")),
                "{line}: expected an error naming {field}, got {e}"
            );
        }
        let e = error("[key]\nenv = \"K\"\n");
        assert!(e.contains("tokens:"), "{e}");
        let e = error(&format!("{MINIMAL}\n[[tokens]]\naddress = \"0x00000000000000000000000000000000000005d1\"\nsymbol = \"again\"\nmin_sources = 1\n[[tokens.sources]]\nname = \"x\"\nurl = \"http://a/\"\npointer = \"\"\n"));
        assert!(e.contains("tokens[1].address:"), "{e}");
        let e = error(&format!("poll_interval_secs = \"soon\"\n{MINIMAL}"));
        assert!(
            e.contains("line 1, column 22 (key `poll_interval_secs`)"),
            "{e}"
        );
    }
}
