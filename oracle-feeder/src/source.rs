//! One price source: an HTTP GET answering JSON, a JSON pointer to the quote, and the
//! conversion of that quote into token base units per wei.
//!
//! Whatever goes wrong with a source (timeout, HTTP error, not JSON, pointer missing, not a
//! number, zero or negative) is a [`SourceError`] for that source only: the round goes on with
//! the others. The quote is read from the raw JSON text, never through `f64`, so that
//! `3012.45` is exactly `301245/100`.

use std::{collections::BTreeMap, time::Duration};

use serde_json::value::RawValue;

use crate::{
    config::SourceConfig,
    fraction::{Fraction, FractionError},
};

/// Largest response body read from a source; price endpoints answer a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// Why a source gave no usable quote this round.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// No complete answer within the per-request timeout.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// Connection or protocol failure.
    #[error("request failed: {0}")]
    Transport(String),
    /// The server answered with a non-success status.
    #[error("HTTP status {0}")]
    HttpStatus(u16),
    /// The body exceeds [`MAX_BODY_BYTES`].
    #[error("response larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
    /// The body is not JSON.
    #[error("response is not JSON: {0}")]
    NotJson(String),
    /// The pointer does not lead to a value.
    #[error("JSON pointer {0:?} not found in the response")]
    PointerMissing(String),
    /// The value is not a number or a numeric string.
    #[error("value at the pointer is not numeric: {0}")]
    NotNumeric(String),
    /// The value is zero or negative.
    #[error("value at the pointer is not positive: {0}")]
    NotPositive(String),
    /// The converted price does not fit 256-bit fractions.
    #[error("price out of range after invert/scale")]
    OutOfRange,
}

impl SourceError {
    /// A short, stable label for log fields and metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Timeout(_) => "timeout",
            Self::Transport(_) => "transport",
            Self::HttpStatus(_) => "http-status",
            Self::TooLarge => "too-large",
            Self::NotJson(_) => "not-json",
            Self::PointerMissing(_) => "pointer-missing",
            Self::NotNumeric(_) => "not-numeric",
            Self::NotPositive(_) => "not-positive",
            Self::OutOfRange => "out-of-range",
        }
    }
}

/// Fetches one source and converts its quote into a price (token base units per wei).
pub async fn fetch_price(
    client: &reqwest::Client,
    source: &SourceConfig,
    timeout: Duration,
) -> Result<Fraction, SourceError> {
    let body = tokio::time::timeout(timeout, fetch_body(client, source))
        .await
        .map_err(|_| SourceError::Timeout(timeout))??;
    let quote = extract_quote(&body, &source.pointer)?;
    convert(quote, source.invert, source.scale)
}

/// GETs the URL and reads the body (bounded by [`MAX_BODY_BYTES`]).
async fn fetch_body(
    client: &reqwest::Client,
    source: &SourceConfig,
) -> Result<Vec<u8>, SourceError> {
    let mut response = client
        .get(source.url.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| SourceError::Transport(describe(&e)))?;
    let status = response.status();
    if !status.is_success() {
        return Err(SourceError::HttpStatus(status.as_u16()));
    }
    if response
        .content_length()
        .is_some_and(|len| len > MAX_BODY_BYTES as u64)
    {
        return Err(SourceError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| SourceError::Transport(describe(&e)))?
    {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(SourceError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A reqwest error with its causes (reqwest's own message is often just "error sending
/// request").
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The quote at `pointer` in a JSON document, parsed exactly. The value may be a JSON number
/// or a string holding a decimal number (many APIs quote prices as strings).
pub fn extract_quote(body: &[u8], pointer: &str) -> Result<Fraction, SourceError> {
    let text = std::str::from_utf8(body).map_err(|_| SourceError::NotJson("not UTF-8".into()))?;
    let root: &RawValue =
        serde_json::from_str(text).map_err(|e| SourceError::NotJson(e.to_string()))?;
    let value = resolve(root, pointer)?;
    let raw = value.get().trim();
    let quote = if raw.starts_with('"') {
        let string: String =
            serde_json::from_str(raw).map_err(|e| SourceError::NotNumeric(e.to_string()))?;
        Fraction::parse_decimal(string.trim()).map_err(|e| classify(e, &string))?
    } else if raw.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        Fraction::parse_decimal(raw).map_err(|e| classify(e, raw))?
    } else {
        return Err(SourceError::NotNumeric(crate::fraction::snippet(raw)));
    };
    Ok(quote)
}

/// Applies the source's inversion and scale: `(invert ? 1/quote : quote) × scale`.
pub fn convert(quote: Fraction, invert: bool, scale: Fraction) -> Result<Fraction, SourceError> {
    let quote = if invert { quote.invert() } else { quote };
    quote
        .checked_mul(scale)
        .map_err(|_| SourceError::OutOfRange)
}

fn classify(error: FractionError, text: &str) -> SourceError {
    match error {
        FractionError::Syntax(_) => SourceError::NotNumeric(crate::fraction::snippet(text)),
        FractionError::Zero | FractionError::Negative => {
            SourceError::NotPositive(crate::fraction::snippet(text))
        }
        FractionError::Overflow => SourceError::OutOfRange,
    }
}

/// Follows an RFC 6901 pointer through the raw JSON, parsing only the containers on the way.
fn resolve<'a>(root: &'a RawValue, pointer: &str) -> Result<&'a RawValue, SourceError> {
    let missing = || SourceError::PointerMissing(pointer.to_string());
    if pointer.is_empty() {
        return Ok(root);
    }
    let Some(path) = pointer.strip_prefix('/') else {
        return Err(missing());
    };
    let mut current = root;
    for token in path.split('/') {
        let token = token.replace("~1", "/").replace("~0", "~");
        let text = current.get().trim_start();
        current = if text.starts_with('{') {
            let object: BTreeMap<String, &'a RawValue> =
                serde_json::from_str(current.get()).map_err(|_| missing())?;
            object.get(&token).copied().ok_or_else(missing)?
        } else if text.starts_with('[') {
            // RFC 6901: an array index is "0" or digits without a leading zero.
            if token.is_empty()
                || !token.bytes().all(|b| b.is_ascii_digit())
                || (token.len() > 1 && token.starts_with('0'))
            {
                return Err(missing());
            }
            let index: usize = token.parse().map_err(|_| missing())?;
            let array: Vec<&'a RawValue> =
                serde_json::from_str(current.get()).map_err(|_| missing())?;
            array.get(index).copied().ok_or_else(missing)?
        } else {
            return Err(missing());
        };
    }
    Ok(current)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::U256;

    fn frac(n: u64, d: u64) -> Fraction {
        Fraction::new(U256::from(n), U256::from(d)).unwrap()
    }

    fn quote(body: &str, pointer: &str) -> Result<Fraction, SourceError> {
        extract_quote(body.as_bytes(), pointer)
    }

    #[test]
    fn reads_numbers_and_numeric_strings_exactly() {
        let body = r#"{"ethereum": {"usd": 3012.45}, "data": [{"p": "3012.46"}], "a/b": {"~x": 7}, "e": 3.01245e3}"#;
        assert_eq!(quote(body, "/ethereum/usd").unwrap(), frac(301_245, 100));
        assert_eq!(quote(body, "/data/0/p").unwrap(), frac(301_246, 100));
        assert_eq!(quote(body, "/a~1b/~0x").unwrap(), frac(7, 1));
        assert_eq!(quote(body, "/e").unwrap(), frac(301_245, 100));
        assert_eq!(quote("42", "").unwrap(), frac(42, 1));
        assert_eq!(quote(r#"{"p": " 5.5 "}"#, "/p").unwrap(), frac(11, 2));
        // More digits than an f64 holds.
        let ten_22 = U256::from(10u64).pow(U256::from(22));
        assert_eq!(
            quote(r#"{"p": 3000.0000000000000000000001}"#, "/p").unwrap(),
            Fraction::new(U256::from(3000) * ten_22 + U256::from(1), ten_22).unwrap()
        );
    }

    #[test]
    fn reports_why_a_value_is_unusable() {
        let body = r#"{"a": {"b": 1}, "list": [1, 2], "neg": -3, "zero": 0, "word": "n/a", "flag": true, "nil": null, "obj": {}}"#;
        assert!(matches!(
            quote(body, "/a/c"),
            Err(SourceError::PointerMissing(_))
        ));
        assert!(matches!(
            quote(body, "/a/b/c"),
            Err(SourceError::PointerMissing(_))
        ));
        assert!(matches!(
            quote(body, "/list/2"),
            Err(SourceError::PointerMissing(_))
        ));
        assert!(matches!(
            quote(body, "/list/01"),
            Err(SourceError::PointerMissing(_))
        ));
        assert!(matches!(
            quote(body, "/list/-"),
            Err(SourceError::PointerMissing(_))
        ));
        assert!(matches!(
            quote(body, "a"),
            Err(SourceError::PointerMissing(_))
        ));
        assert!(matches!(
            quote(body, "/neg"),
            Err(SourceError::NotPositive(_))
        ));
        assert!(matches!(
            quote(body, "/zero"),
            Err(SourceError::NotPositive(_))
        ));
        assert!(matches!(
            quote(body, "/word"),
            Err(SourceError::NotNumeric(_))
        ));
        assert!(matches!(
            quote(body, "/flag"),
            Err(SourceError::NotNumeric(_))
        ));
        assert!(matches!(
            quote(body, "/nil"),
            Err(SourceError::NotNumeric(_))
        ));
        assert!(matches!(
            quote(body, "/obj"),
            Err(SourceError::NotNumeric(_))
        ));
        assert!(matches!(
            quote("{\"a\": 1", "/a"),
            Err(SourceError::NotJson(_))
        ));
        assert!(matches!(
            quote("<html>rate limited</html>", "/a"),
            Err(SourceError::NotJson(_))
        ));
        assert!(matches!(
            extract_quote(&[0xff, 0xfe], "/a"),
            Err(SourceError::NotJson(_))
        ));
        assert!(matches!(
            quote(r#"{"p": 1e99}"#, "/p"),
            Err(SourceError::OutOfRange)
        ));
    }

    #[test]
    fn converts_with_inversion_and_scale() {
        let scale = Fraction::parse_decimal("0.000000000001").unwrap();
        // "ETH in USD" = 3000 → 3000 · 10⁶ / 10¹⁸ sUSD base units per wei.
        assert_eq!(
            convert(frac(3000, 1), false, scale).unwrap(),
            frac(3, 1_000_000_000)
        );
        // "USD in ETH" = 1/3000 → inverted first.
        assert_eq!(
            convert(frac(1, 3000), true, scale).unwrap(),
            frac(3, 1_000_000_000)
        );
        let max = Fraction::new(U256::MAX, U256::from(1)).unwrap();
        assert_eq!(
            convert(max, false, frac(2, 1)),
            Err(SourceError::OutOfRange)
        );
    }
}
