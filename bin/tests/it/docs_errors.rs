//! The error tables of `docs/rpc.md` cannot drift from the code: every message they list must be
//! one a string literal (or format string) of the workspace's non-test sources can produce.
//!
//! The tables are those of the "Errors" section whose first column is headed "message…". In a
//! documented message, `0x…`, `<…>` and `…` stand for values and match anything; the rest must
//! be spelled exactly as in the code. A documented message is a prefix ("message starts with"):
//! it must match the beginning of one code literal, whose own placeholders (`{name}`, `{}`) stand
//! for numbers or punctuation. A placeholder naming a constant (`{MAX_CODE_SIZE}`) or a field or
//! variable bound to string literals (`what: "…"`) is replaced by those values first, so the
//! documented limits are checked too. No node is started.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

/// Messages that come from a dependency rather than from this workspace, with their source.
const EXTERNAL: &[(&str, &str)] = &[
    ("wasm trap: ", "wasmtime's Display of wasmtime::Trap"),
    (
        "Too many connections. Please try again later.",
        "jsonrpsee's answer past [rpc] max_connections",
    ),
];

/// A string literal of the source, with the code just before it (comments and literals
/// blanked) so that bindings such as `what: "…"` or `const NAME: &str = "…"` can be seen.
struct Literal {
    text: String,
    before: String,
}

/// The string literals of `source`, outside comments and outside `#[cfg(test)]` items.
fn literals(source: &str) -> Vec<Literal> {
    let chars: Vec<char> = source.chars().collect();
    // `code` is the source with comments and literals replaced by spaces (same length), so
    // braces can be matched and bindings read without being fooled by text.
    let mut code: Vec<char> = chars.clone();
    let mut found: Vec<(usize, String)> = Vec::new();
    let blank = |code: &mut Vec<char>, from: usize, to: usize| {
        for c in &mut code[from..to] {
            if *c != '\n' {
                *c = ' ';
            }
        }
    };
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            let end = chars[i..]
                .iter()
                .position(|&c| c == '\n')
                .map_or(chars.len(), |p| i + p);
            blank(&mut code, i, end);
            i = end;
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            let mut j = i;
            while j < chars.len() {
                if chars[j] == '/' && chars.get(j + 1) == Some(&'*') {
                    depth += 1;
                    j += 2;
                } else if chars[j] == '*' && chars.get(j + 1) == Some(&'/') {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            blank(&mut code, i, j);
            i = j;
        } else if c == '\'' {
            // A char literal ('x', '\n', '"') or a lifetime ('a).
            if next == Some('\\') {
                let mut j = i + 2;
                while j < chars.len() && chars[j] != '\'' {
                    j += 1;
                }
                blank(&mut code, i, j + 1);
                i = j + 1;
            } else if chars.get(i + 2) == Some(&'\'') {
                blank(&mut code, i, i + 3);
                i += 3;
            } else {
                i += 1;
            }
        } else if c == 'r'
            && matches!(next, Some('"') | Some('#'))
            && (i == 0 || !is_ident(chars[i - 1]) || chars[i - 1] == 'b')
        {
            // A raw string: r"…", r#"…"#, br"…".
            let hashes = chars[i + 1..].iter().take_while(|&&c| c == '#').count();
            let open = i + 1 + hashes;
            if chars.get(open) != Some(&'"') {
                i += 1;
                continue;
            }
            let closing: String = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            let rest: String = chars[open + 1..].iter().collect();
            let len = rest.find(&closing).unwrap_or(rest.len());
            let text: String = rest.chars().take(rest[..len].chars().count()).collect();
            let end = open + 1 + text.chars().count() + closing.chars().count();
            found.push((i, text));
            blank(&mut code, i, end.min(chars.len()));
            i = end;
        } else if c == '"' {
            let mut text = String::new();
            let mut j = i + 1;
            while j < chars.len() && chars[j] != '"' {
                if chars[j] == '\\' {
                    j += 1;
                    match chars.get(j) {
                        Some('n') => text.push('\n'),
                        Some('t') => text.push('\t'),
                        Some('r') => text.push('\r'),
                        Some('0') => text.push('\0'),
                        Some('\n') => {
                            // Line continuation: the newline and the next line's indent vanish.
                            while chars.get(j + 1).is_some_and(|c| c.is_whitespace()) {
                                j += 1;
                            }
                        }
                        Some('x') => {
                            let hex: String =
                                chars[j + 1..(j + 3).min(chars.len())].iter().collect();
                            if let Some(c) =
                                u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32)
                            {
                                text.push(c);
                            }
                            j += 2;
                        }
                        Some('u') => {
                            let close = chars[j..]
                                .iter()
                                .position(|&c| c == '}')
                                .map_or(j, |p| j + p);
                            let hex: String = chars[(j + 2).min(close)..close].iter().collect();
                            if let Some(c) =
                                u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32)
                            {
                                text.push(c);
                            }
                            j = close;
                        }
                        Some(&other) => text.push(other),
                        None => {}
                    }
                } else {
                    text.push(chars[j]);
                }
                j += 1;
            }
            found.push((i, text));
            blank(&mut code, i, (j + 1).min(chars.len()));
            i = j + 1;
        } else {
            i += 1;
        }
    }

    // Drop the literals of `#[cfg(test)]` items (test modules inside src files).
    let code_text: String = code.iter().collect();
    let mut skipped: Vec<(usize, usize)> = Vec::new();
    let mut search = 0;
    while let Some(offset) = code_text[search..].find("#[cfg(test)]") {
        let start_byte = search + offset;
        let start = code_text[..start_byte].chars().count();
        let mut depth = 0usize;
        let mut end = code.len();
        for (k, &c) in code.iter().enumerate().skip(start) {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = k + 1;
                        break;
                    }
                }
                ';' if depth == 0 => {
                    end = k + 1;
                    break;
                }
                _ => {}
            }
        }
        skipped.push((start, end));
        search = start_byte + "#[cfg(test)]".len();
    }

    found
        .into_iter()
        .filter(|(at, _)| !skipped.iter().any(|(s, e)| (s..e).contains(&at)))
        .map(|(at, text)| {
            let from = at.saturating_sub(80);
            Literal {
                text,
                before: code[from..at].iter().collect(),
            }
        })
        .collect()
}

/// The `.rs` files under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Value of an integer constant expression made of literals and `*` (`256 * 1024`).
fn int_value(expr: &str) -> Option<u128> {
    expr.split('*')
        .map(|factor| factor.trim().replace('_', "").parse::<u128>().ok())
        .try_fold(1u128, |acc, f| acc.checked_mul(f?))
}

/// What names stand for in format strings. `exact`: constants (`const NAME: &str = "…"`,
/// `const NAME: u64 = 100_000`), which stand for their value only. `loose`: fields and variables
/// bound to string literals (`what: "…"`), which may also hold other values at run time.
#[derive(Default)]
struct Bindings {
    exact: BTreeMap<String, BTreeSet<String>>,
    loose: BTreeMap<String, BTreeSet<String>>,
}

impl Bindings {
    fn collect(literals: &[Literal], sources: &[String]) -> Self {
        let mut bindings = Self::default();
        for literal in literals {
            // `name: "…"`, `name = "…"`, `const NAME: &str = "…"`, `NAME: &'static str = "…"`.
            let before = literal.before.trim_end();
            let before = before
                .strip_suffix('=')
                .map(|b| {
                    let b = b.trim_end();
                    b.strip_suffix("&'static str")
                        .or_else(|| b.strip_suffix("&str"))
                        .map(|b| b.trim_end().trim_end_matches(':'))
                        .unwrap_or(b)
                })
                .or_else(|| before.strip_suffix(':'));
            let Some(before) = before.map(str::trim_end) else {
                continue;
            };
            let name: String = before
                .chars()
                .rev()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            if name.is_empty() || name.chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
            let declaration = before[..before.len() - name.len()].trim_end();
            let map = if declaration.ends_with("const") || declaration.ends_with("static") {
                &mut bindings.exact
            } else {
                &mut bindings.loose
            };
            map.entry(name).or_default().insert(literal.text.clone());
        }
        // Integer constants: `const NAME: u64 = 100_000;`, `const NAME: usize = 256 * 1024;`.
        for source in sources {
            for line in source.lines() {
                let Some(rest) = line.trim().split("const ").nth(1) else {
                    continue;
                };
                let Some((name, rest)) = rest.split_once(':') else {
                    continue;
                };
                let Some((_, expr)) = rest.split_once('=') else {
                    continue;
                };
                if let Some(value) = int_value(expr.trim().trim_end_matches(';')) {
                    bindings
                        .exact
                        .entry(name.trim().to_string())
                        .or_default()
                        .insert(value.to_string());
                }
            }
        }
        bindings
    }

    /// The alternatives for the placeholder `{name}`: values (`Some`) and a formatted value
    /// (`None`). A constant with one value stands for it alone; anything else may be a value
    /// the source does not show.
    fn alternatives(&self, name: &str) -> Vec<Option<&str>> {
        match (self.exact.get(name), self.loose.get(name)) {
            (Some(values), None) if values.len() == 1 => {
                values.iter().map(|v| Some(v.as_str())).collect()
            }
            (exact, loose) => {
                let values: BTreeSet<&str> = exact
                    .into_iter()
                    .chain(loose)
                    .flatten()
                    .map(String::as_str)
                    .collect();
                if values.len() > 8 {
                    return vec![None];
                }
                values.into_iter().map(Some).chain([None]).collect()
            }
        }
    }
}

/// A token of a message pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    Char(char),
    /// A placeholder: in the docs anything; in the code a formatted value.
    Wild,
}

/// A code literal as patterns: `{name}` replaced by each of its known values, other
/// placeholders as [`Token::Wild`], `{{` and `}}` as braces.
fn code_patterns(text: &str, bindings: &Bindings) -> Vec<Vec<Token>> {
    let mut patterns: Vec<Vec<Token>> = vec![Vec::new()];
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match (chars[i], chars.get(i + 1)) {
            ('{', Some('{')) | ('}', Some('}')) => {
                for p in &mut patterns {
                    p.push(Token::Char(chars[i]));
                }
                i += 2;
            }
            ('{', _) => {
                let close = chars[i..].iter().position(|&c| c == '}').map(|p| i + p);
                let Some(close) = close else {
                    for p in &mut patterns {
                        p.push(Token::Char('{'));
                    }
                    i += 1;
                    continue;
                };
                let inner: String = chars[i + 1..close].iter().collect();
                let name = inner.split(':').next().unwrap_or("").trim();
                let alternatives = bindings.alternatives(name);
                if patterns.len() * alternatives.len() > 64 {
                    for p in &mut patterns {
                        p.push(Token::Wild);
                    }
                } else {
                    patterns = patterns
                        .iter()
                        .flat_map(|p| {
                            alternatives.iter().map(move |alternative| {
                                let mut p = p.clone();
                                match alternative {
                                    Some(value) => p.extend(value.chars().map(Token::Char)),
                                    None => p.push(Token::Wild),
                                }
                                p
                            })
                        })
                        .collect();
                }
                i = close + 1;
            }
            (c, _) => {
                for p in &mut patterns {
                    p.push(Token::Char(c));
                }
                i += 1;
            }
        }
    }
    patterns
}

/// A documented message as a pattern: `0x…`, `<…>` and `…` are placeholders.
fn doc_pattern(message: &str) -> Vec<Token> {
    let chars: Vec<char> = message.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let placeholder_len =
            if chars[i] == '0' && chars.get(i + 1) == Some(&'x') && chars.get(i + 2) == Some(&'…')
            {
                Some(3)
            } else if chars[i] == '…' {
                Some(1)
            } else if chars[i] == '<' {
                chars[i..]
                    .iter()
                    .position(|&c| c == '>')
                    .filter(|&len| {
                        len > 1
                            && chars[i + 1..i + len]
                                .iter()
                                .all(|c| c.is_alphanumeric() || " _-".contains(*c))
                    })
                    .map(|len| len + 1)
            } else {
                None
            };
        match placeholder_len {
            Some(len) => {
                if out.last() != Some(&Token::Wild) {
                    out.push(Token::Wild);
                }
                i += len;
            }
            None => {
                out.push(Token::Char(chars[i]));
                i += 1;
            }
        }
    }
    out
}

/// Whether a message following `doc` can begin like `code` (a documented message is a prefix,
/// so its end matches anything). A doc placeholder matches anything; a code placeholder matches
/// any text of the documented message without letters (a number, an address, punctuation).
fn matches(doc: &[Token], code: &[Token]) -> bool {
    let mut doc = doc.to_vec();
    doc.push(Token::Wild);
    let (n, m) = (doc.len(), code.len());
    // can[i][j]: doc[i..] and code[j..] can describe the same text.
    let mut can = vec![vec![false; m + 1]; n + 1];
    can[n][m] = true;
    for i in (0..=n).rev() {
        for j in (0..=m).rev() {
            if i == n && j == m {
                continue;
            }
            can[i][j] = if i < n && doc[i] == Token::Wild {
                can[i + 1][j] || (j < m && can[i][j + 1])
            } else if j < m && code[j] == Token::Wild {
                can[i][j + 1]
                    || matches!(doc.get(i), Some(Token::Char(c)) if !c.is_alphabetic())
                        && can[i + 1][j]
            } else if i < n && j < m {
                doc[i] == code[j] && can[i + 1][j + 1]
            } else {
                false
            };
        }
    }
    can[0][0]
}

/// A documented message: where it is and what it says.
struct Row {
    line: usize,
    row: String,
    message: String,
}

/// The messages of the error tables of `docs/rpc.md` (first column, in backticks).
fn documented_messages(doc: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut in_errors = false;
    let mut in_table = false;
    let lines: Vec<&str> = doc.lines().collect();
    for (index, line) in lines.iter().enumerate() {
        if line.starts_with("## ") {
            in_errors = line.trim() == "## Errors";
            in_table = false;
            continue;
        }
        if !in_errors {
            continue;
        }
        if !line.starts_with('|') {
            in_table = false;
            continue;
        }
        let first_cell = line
            .trim_start_matches('|')
            .split('|')
            .next()
            .unwrap_or("")
            .trim();
        if lines
            .get(index + 1)
            .is_some_and(|next| next.starts_with("|---"))
        {
            in_table = first_cell.to_lowercase().starts_with("message");
            continue;
        }
        if !in_table || first_cell.starts_with("---") {
            continue;
        }
        for message in code_spans(first_cell) {
            rows.push(Row {
                line: index + 1,
                row: line.to_string(),
                message,
            });
        }
    }
    rows
}

/// The contents of the Markdown code spans of `cell` (`` `a` `` or ``` ``a `b` c`` ```).
fn code_spans(cell: &str) -> Vec<String> {
    let mut spans = Vec::new();
    let mut rest = cell;
    while let Some(start) = rest.find('`') {
        let ticks = rest[start..].chars().take_while(|&c| c == '`').count();
        let fence = "`".repeat(ticks);
        let body = &rest[start + ticks..];
        let Some(end) = body.find(&fence) else { break };
        spans.push(body[..end].trim().to_string());
        rest = &body[end + ticks..];
    }
    spans
}

#[test]
fn every_documented_rpc_error_is_produced_by_the_code() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_path_buf();
    let mut files = Vec::new();
    for entry in fs::read_dir(&root)
        .expect("read the workspace root")
        .flatten()
    {
        let dir = entry.path();
        if dir.join("Cargo.toml").is_file() && dir.join("src").is_dir() {
            rust_files(&dir.join("src"), &mut files);
        }
    }
    assert!(files.len() > 20, "found only {files:?} under */src");
    let sources: Vec<String> = files
        .iter()
        .map(|f| fs::read_to_string(f).unwrap_or_else(|e| panic!("read {}: {e}", f.display())))
        .collect();
    let all: Vec<Literal> = sources.iter().flat_map(|s| literals(s)).collect();
    let bindings = Bindings::collect(&all, &sources);
    let patterns: Vec<(String, Vec<Token>)> = all
        .iter()
        .flat_map(|l| {
            code_patterns(&l.text, &bindings)
                .into_iter()
                .map(move |p| (l.text.clone(), p))
        })
        .collect();

    let doc_path = root.join("docs/rpc.md");
    let doc = fs::read_to_string(&doc_path).expect("read docs/rpc.md");
    let rows = documented_messages(&doc);
    assert!(
        rows.len() >= 40,
        "found only {} messages in the error tables of docs/rpc.md: did the tables move?",
        rows.len()
    );
    for (prefix, source) in EXTERNAL {
        assert!(
            rows.iter().any(|r| r.message.starts_with(prefix)),
            "the exemption for `{prefix}` ({source}) is no longer needed: remove it"
        );
    }

    let mut drifted = Vec::new();
    for row in &rows {
        if EXTERNAL
            .iter()
            .any(|(prefix, _)| row.message.starts_with(prefix))
        {
            continue;
        }
        let doc = doc_pattern(&row.message);
        // The first word must be in the literal: a cheap filter before the full match.
        let word: String = row
            .message
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let produced = patterns
            .iter()
            .filter(|(text, _)| text.contains(&word))
            .any(|(_, code)| matches(&doc, code));
        if !produced {
            drifted.push(format!(
                "docs/rpc.md:{}: `{}` is produced by no string literal of */src\n    row: {}",
                row.line, row.message, row.row
            ));
        }
    }
    assert!(
        drifted.is_empty(),
        "{} documented error message(s) drifted from the code (fix the table or the code):\n{}",
        drifted.len(),
        drifted.join("\n")
    );
}

#[test]
fn the_matcher_tells_drift_from_placeholders() {
    let bindings = Bindings::default();
    let code = |text: &str| code_patterns(text, &bindings).remove(0);
    let nonce = code("nonce too low: address {address}, tx: {tx} state: {state}");
    assert!(matches(&doc_pattern("nonce too low"), &nonce));
    assert!(matches(
        &doc_pattern("nonce too low: address 0x…, tx: 0 state: 1"),
        &nonce
    ));
    assert!(!matches(&doc_pattern("nonce is too low"), &nonce));
    // A code placeholder stands for a number, not for words.
    let limit = code("contract module is {size} bytes, the limit is {MAX}");
    assert!(matches(
        &doc_pattern("contract module is <size> bytes, the limit is 262144"),
        &limit
    ));
    assert!(!matches(
        &doc_pattern("contract module is too large"),
        &limit
    ));
    assert!(!matches(&doc_pattern("anything at all"), &code("{0}")));
    // Known names are replaced by their values, so documented limits are checked.
    let mut known = Bindings::default();
    known
        .exact
        .insert("MAX".into(), BTreeSet::from(["262144".to_string()]));
    let limit = code_patterns("the limit is {MAX}", &known);
    assert!(limit
        .iter()
        .any(|p| matches(&doc_pattern("the limit is 262144"), p)));
    assert!(!limit
        .iter()
        .any(|p| matches(&doc_pattern("the limit is 65536"), p)));
    // A field bound to a literal may hold other values too.
    known
        .loose
        .insert("what".into(), BTreeSet::from(["a function".to_string()]));
    let export = code_patterns("must export {what}", &known);
    assert!(export
        .iter()
        .any(|p| matches(&doc_pattern("must export a function"), p)));
    assert!(export
        .iter()
        .any(|p| matches(&doc_pattern("must export 0x…"), p)));
    // Literals: escapes, raw strings, char literals and comments.
    let found: Vec<String> = literals(
        "let a = '\"'; // \"not this\"\nlet b = \"x\\\"y\\0\"; let c = r#\"raw \"q\"\"#;\n/* \"nor this\" */ #[cfg(test)]\nmod tests { const T: &str = \"test only\"; }",
    )
    .into_iter()
    .map(|l| l.text)
    .collect();
    assert_eq!(found, ["x\"y\0", "raw \"q\""]);
}
