//! Small encoding helpers shared by the modules (crate-private).

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// The bytes Python's `urllib.parse.quote_plus` leaves alone: ASCII letters, digits,
/// `_.-~`, plus the space that becomes `+` afterwards.
const PY_QUOTE_PLUS_KEEP: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'_')
    .remove(b'.')
    .remove(b'-')
    .remove(b'~')
    .remove(b' ');

/// Python's `urllib.parse.quote_plus(s)` (UTF-8), which Kaltura's Python client uses
/// through `urlencode` to build the KS v2 field string. PHP's `urlencode` differs only in
/// `~` (it writes `%7E`); both decode to the same value.
pub(crate) fn quote_plus(s: &str) -> String {
    utf8_percent_encode(s, PY_QUOTE_PLUS_KEEP)
        .to_string()
        .replace(' ', "+")
}

/// Python's `urllib.parse.urlencode(pairs)` for string pairs, in order.
pub(crate) fn urlencode_pairs<'a, I>(pairs: I) -> String
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    pairs
        .into_iter()
        .map(|(k, v)| format!("{}={}", quote_plus(k), quote_plus(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Replaces every run of 32 or more base64/base64url/hex characters with `[redacted]`,
/// except upper-case constants such as `CANNOT_RETRIEVE_ANOTHER_USER_USING_NON_ADMIN_SESSION`.
///
/// Kaltura echoes the KS it was sent in some error messages (`Invalid KS [<ks>]`); error
/// values built from server text go through this so no KS or secret reaches a log.
pub(crate) fn redact_tokens(text: &str) -> String {
    const MIN_RUN: usize = 32;
    let is_token_char =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '-' | '_');
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        // ALL_CAPS_CONSTANTS (Kaltura error codes) are kept; a KS or a hex secret is
        // mixed-case or lowercase.
        let constant = run
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if run.chars().count() >= MIN_RUN && !constant {
            out.push_str("[redacted]");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if is_token_char(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_plus_matches_python_for_reserved_and_unicode_characters() {
        // Values checked against CPython 3: urllib.parse.quote_plus(...)
        assert_eq!(quote_plus("*"), "%2A");
        assert_eq!(quote_plus("user@example.com"), "user%40example.com");
        assert_eq!(quote_plus("a b~c_d.e-f"), "a+b~c_d.e-f");
        assert_eq!(quote_plus("x+y/z"), "x%2By%2Fz");
        assert_eq!(quote_plus("Zoë 🎉"), "Zo%C3%AB+%F0%9F%8E%89");
        assert_eq!(quote_plus(",:&="), "%2C%3A%26%3D");
    }

    #[test]
    fn urlencode_pairs_joins_in_order_with_ampersands() {
        let s = urlencode_pairs([("sview", "*"), ("_u", "a b")]);
        assert_eq!(s, "sview=%2A&_u=a+b");
    }

    #[test]
    fn long_token_runs_are_redacted_and_short_words_kept() {
        let ks = "djJ8MTIzNDU2N3wdy9oIt6dJ5ZL2PU9tNsQyk8Iv2wn8XR2284JbglCV_Sus60Ju3Rpui9X==";
        let msg = format!("Invalid KS [{ks}]. Error [-1,INVALID_STR]");
        let redacted = redact_tokens(&msg);
        assert_eq!(redacted, "Invalid KS [[redacted]]. Error [-1,INVALID_STR]");
        let hex_secret = "secret 0123456789abcdef0123456789abcdef!";
        assert_eq!(redact_tokens(hex_secret), "secret [redacted]!");
        let code = "CANNOT_RETRIEVE_ANOTHER_USER_USING_NON_ADMIN_SESSION";
        assert_eq!(redact_tokens(code), code);
        assert_eq!(
            redact_tokens("Entry id \"0_abc123\" not found"),
            "Entry id \"0_abc123\" not found"
        );
    }
}
