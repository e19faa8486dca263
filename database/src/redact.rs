//! Redaction: the one place that decides what of a URL, a connection
//! string or a message holding them may be printed. Every log line, error,
//! health body and summary of the process goes through [`redact`], so a
//! password given in any form that libpq or reqwest accepts never leaves it:
//!
//! - URL userinfo (`postgres://user:pw@host/db`, `https://user:pw@host`,
//!   several hosts, raw or percent-encoded passwords): the user stays, the
//!   password becomes `***`;
//! - URL query parameters (`?password=…`, `&sslpassword=…`, any name that
//!   holds `password`, `secret`, `token` and the like, percent-encoded
//!   names too);
//! - libpq `key=value` strings (`password=pw`, `password = 'se cret'` with
//!   `\'` escapes), and such pairs anywhere in free text.
//!
//! Some libraries quote a piece of a malformed connection string back in
//! their errors (libpq's "invalid percent-encoded token: …" holds the whole
//! password) without saying what it was: [`redact_knowing`] also masks every
//! secret that the connection string itself carries, wherever it appears.

use percent_encoding::percent_decode_str;
use std::ops::Range;

/// What a secret is replaced with.
pub const MASK: &str = "***";

/// Parameter names holding one of these (in any case) carry a secret.
const SENSITIVE_NAMES: [&str; 7] =
    ["password", "passwd", "pwd", "secret", "token", "apikey", "api_key"];

/// Known secrets shorter than this are not searched for in free text: they
/// would mask ordinary words, and their pairs are masked anyway.
const SHORTEST_SEARCHED_SECRET: usize = 4;

/// `text` with every password, token or secret it holds in a URL or a
/// `key=value` pair replaced by [`MASK`]. Made for whole messages: a URL
/// ends at the first whitespace.
pub fn redact(text: &str) -> String {
    splice(text, &secret_spans(text, Scope::FreeText))
}

/// [`redact`], and also every secret that `connection` (a URL or a libpq
/// `key=value` string) carries masked wherever it appears in `text`: for
/// the errors of libraries that echo pieces of what they could not parse.
pub fn redact_knowing(text: &str, connection: &str) -> String {
    let mut masked = text.to_owned();
    for secret in secrets_of(connection) {
        masked = masked.replace(&secret, MASK);
    }
    redact(&masked)
}

/// The secrets of one connection string, longest first, each as written
/// and as libpq or reqwest decode it (percent-decoded, unquoted).
fn secrets_of(connection: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for span in secret_spans(connection, Scope::OneConnection) {
        let written = &connection[span];
        let unquoted = unquote(written);
        let decoded = percent_decode_str(written).decode_utf8_lossy().into_owned();
        found.extend([written.to_owned(), unquoted, decoded]);
    }
    found.retain(|secret| secret.chars().count() >= SHORTEST_SEARCHED_SECRET);
    found.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
    found.dedup();
    found
}

/// Whether a URL runs to the next whitespace (in a message) or to the end
/// (a connection string alone, where a password may hold a raw space).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    FreeText,
    OneConnection,
}

/// The byte ranges of `text` that hold secrets, in order.
fn secret_spans(text: &str, scope: Scope) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let starts_key = at == 0 || !is_key_byte(bytes[at - 1]);
        let starts_scheme = at == 0 || !is_scheme_byte(bytes[at - 1]);
        if starts_key {
            if let Some(value) = sensitive_pair_value(text, at) {
                at = value.end.max(at + 1);
                spans.push(value);
                continue;
            }
        }
        if starts_scheme {
            if let Some(end) = url_end(text, at, scope) {
                spans.extend(url_secrets(text, at, end));
                at = end;
                continue;
            }
        }
        at += 1;
    }
    spans
}

/// The value of a `key=value` pair starting at `at` whose key names a
/// secret; libpq allows spaces around `=` and single-quoted values.
fn sensitive_pair_value(text: &str, at: usize) -> Option<Range<usize>> {
    let bytes = text.as_bytes();
    let key_end = at + bytes[at..].iter().take_while(|b| is_key_byte(**b)).count();
    if key_end == at || !is_sensitive(&text[at..key_end]) {
        return None;
    }
    let equals = skip_spaces(bytes, key_end);
    if bytes.get(equals) != Some(&b'=') {
        return None;
    }
    let start = skip_spaces(bytes, equals + 1);
    let end = match bytes.get(start) {
        Some(quote @ (b'\'' | b'"')) => quoted_end(bytes, start, *quote),
        _ => start + bytes[start..].iter().take_while(|b| !b.is_ascii_whitespace()).count(),
    };
    (end > start).then_some(start..end)
}

/// Where a URL starting at `at` (`scheme://…`) ends, if one starts there.
fn url_end(text: &str, at: usize, scope: Scope) -> Option<usize> {
    let bytes = text.as_bytes();
    let scheme_end = at + bytes[at..].iter().take_while(|b| is_scheme_byte(**b)).count();
    if scheme_end == at || !text[scheme_end..].starts_with("://") {
        return None;
    }
    Some(match scope {
        Scope::OneConnection => text.len(),
        Scope::FreeText => {
            scheme_end + bytes[scheme_end..].iter().take_while(|b| !b.is_ascii_whitespace()).count()
        }
    })
}

/// The password of a URL's userinfo and the values of its sensitive query
/// parameters; the URL is `text[start..end]`.
fn url_secrets(text: &str, start: usize, end: usize) -> Vec<Range<usize>> {
    let after_scheme = start + text[start..end].find("://").expect("a URL") + 3;
    let rest = &text[after_scheme..end];
    let mut spans = Vec::new();
    let userinfo_end = userinfo_end(rest);
    if let Some(at) = userinfo_end {
        if let Some(colon) = rest[..at].find(':') {
            if colon + 1 < at {
                spans.push(after_scheme + colon + 1..after_scheme + at);
            }
        }
    }
    let host_start = userinfo_end.map_or(0, |at| at + 1);
    if let Some(question) = rest[host_start..].find('?') {
        let query_start = after_scheme + host_start + question + 1;
        spans.extend(sensitive_query_values(text, query_start, end));
    }
    spans
}

/// Where a URL's userinfo ends (its `@`), in `rest` (what follows `://`).
///
/// libpq ends the userinfo at the first `@` (unless a `/` comes first); a
/// WHATWG URL (reqwest) at the last `@` before the path. Taking the last
/// `@` before the query covers both, and a password that holds a raw `?`,
/// `#` or `/`: the query is taken to start at a `?` after the first `/`.
fn userinfo_end(rest: &str) -> Option<usize> {
    let region_end = match rest.find('/') {
        Some(slash) => rest[slash..].find(['?', '#']).map_or(rest.len(), |q| slash + q),
        None => rest.len(),
    };
    rest[..region_end].rfind('@')
}

/// The values of the sensitive parameters of the query `text[start..end]`.
fn sensitive_query_values(text: &str, start: usize, end: usize) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    let mut pair_start = start;
    for pair in text[start..end].split('&') {
        if let Some(equals) = pair.find('=') {
            let name = percent_decode_str(&pair[..equals]).decode_utf8_lossy();
            if is_sensitive(&name) && equals + 1 < pair.len() {
                spans.push(pair_start + equals + 1..pair_start + pair.len());
            }
        }
        pair_start += pair.len() + 1;
    }
    spans
}

fn is_sensitive(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SENSITIVE_NAMES.iter().any(|sensitive| name.contains(sensitive))
}

/// Bytes of a libpq keyword (and of the names of other tools' pairs).
fn is_key_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-' | b'.')
}

/// Bytes of a URL scheme (RFC 3986).
fn is_scheme_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'+' | b'-' | b'.')
}

fn skip_spaces(bytes: &[u8], from: usize) -> usize {
    from + bytes[from..].iter().take_while(|b| b.is_ascii_whitespace()).count()
}

/// The end of a value quoted with `quote` at `start`, past the closing
/// quote; a backslash escapes the next byte; unterminated, the text's end.
fn quoted_end(bytes: &[u8], start: usize, quote: u8) -> usize {
    let mut at = start + 1;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            b if b == quote => return at + 1,
            _ => at += 1,
        }
    }
    bytes.len()
}

/// A quoted libpq value as libpq reads it: quotes gone, escapes applied.
fn unquote(value: &str) -> String {
    let Some(inner) = value.strip_prefix(['\'', '"']) else { return value.to_owned() };
    let inner = inner.strip_suffix(['\'', '"']).unwrap_or(inner);
    let mut unquoted = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        unquoted.push(if c == '\\' { chars.next().unwrap_or(c) } else { c });
    }
    unquoted
}

/// `text` with each span (in order, not overlapping) replaced by [`MASK`].
fn splice(text: &str, spans: &[Range<usize>]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for span in spans {
        out.push_str(&text[copied..span.start]);
        out.push_str(MASK);
        copied = span.end;
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
#[path = "redact_tests.rs"]
mod tests;
