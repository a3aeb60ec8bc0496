//! The stored layout of a document (see the module docs of [`crate::cas`]): the pointer
//! at the document's key, an integer in the store's own increment encoding; the
//! document of generation `g` at `<key>#<g>`; the witness counter of generation `g` at
//! `<key>#<g>.seen`. Pure functions only.

use crate::ports::StoreError;

/// Separates a document's key from its generation in the keys this module derives;
/// reserved: a document's own key never contains it.
pub const SEPARATOR: char = '#';

/// The smallest magnitude of a generation: 10^18, so that every generation is 19
/// decimal digits (with a `-` for a tombstone), never 8 bytes long like the other
/// encoding, and every positive one is a canonical integer for Redis.
const MIN_MAGNITUDE: i64 = 1_000_000_000_000_000_000;

/// How the store's `increment` writes an integer, learnt from what it wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// 8 bytes, little-endian (Spin's SQLite store).
    LittleEndian,
    /// Canonical decimal text (Spin's Redis store, the test host).
    Decimal,
}

impl Encoding {
    /// `value` as the store's `increment` would have written it.
    pub fn encode(self, value: i64) -> Vec<u8> {
        match self {
            Self::LittleEndian => value.to_le_bytes().to_vec(),
            Self::Decimal => value.to_string().into_bytes(),
        }
    }
}

/// Reads an integer written by the store's `increment`: 8 bytes little-endian, or
/// canonical decimal text (no sign on 0, no leading zeros, no `+`).
pub fn decode_integer(bytes: &[u8]) -> Option<(i64, Encoding)> {
    if let Ok(le) = <[u8; 8]>::try_from(bytes) {
        return Some((i64::from_le_bytes(le), Encoding::LittleEndian));
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let digits = text.strip_prefix('-').unwrap_or(text);
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && !(text.starts_with('-') && digits == "0");
    if !canonical {
        return None;
    }
    text.parse().ok().map(|n| (n, Encoding::Decimal))
}

/// What a document's key holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// A pointer: 0 (nothing yet), a positive generation (its document is at
    /// [`document_key`]) or a negative one (a tombstone: deleted, no document).
    Pointer {
        /// The generation.
        generation: i64,
        /// How the store wrote it, and how to write the next one.
        encoding: Encoding,
    },
    /// Anything else: a document stored in place by an older version of this code.
    Legacy,
}

impl Slot {
    /// Reads the value at a document's key.
    pub fn decode(bytes: &[u8]) -> Self {
        match decode_integer(bytes) {
            Some((generation, encoding)) if is_generation(generation) => Self::Pointer {
                generation,
                encoding,
            },
            _ => Self::Legacy,
        }
    }
}

/// Whether `n` can be a pointer's value: 0, or a generation.
fn is_generation(n: i64) -> bool {
    n == 0 || n.unsigned_abs() >= MIN_MAGNITUDE.unsigned_abs()
}

/// A fresh generation from 64 random bits: positive for a document, negative for a
/// tombstone; its magnitude is uniform in 10^18..=i64::MAX (about 2^63 values).
pub fn generation(random: u64, tombstone: bool) -> i64 {
    let span = i64::MAX - MIN_MAGNITUDE + 1;
    let offset = i64::try_from(random % span.unsigned_abs()).unwrap_or(0);
    let magnitude = MIN_MAGNITUDE + offset;
    if tombstone {
        -magnitude
    } else {
        magnitude
    }
}

/// Where the document of generation `generation` of `key` is.
pub fn document_key(key: &str, generation: i64) -> String {
    format!("{key}{SEPARATOR}{generation}")
}

/// Where the witness counter of generation `generation` of `key` is.
pub fn witness_key(key: &str, generation: i64) -> String {
    format!("{key}{SEPARATOR}{generation}.seen")
}

/// Refuses a document key the derived keys could be confused with.
///
/// # Errors
/// [`StoreError::Other`] when `key` contains [`SEPARATOR`].
pub fn check_key(key: &str) -> Result<(), StoreError> {
    if key.contains(SEPARATOR) {
        return Err(StoreError::Other(format!(
            "a document key must not contain `{SEPARATOR}`"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_increment_encodings_read_back() {
        for n in [0, 1, -1, 42, i64::MAX, i64::MIN, generation(7, false)] {
            for encoding in [Encoding::LittleEndian, Encoding::Decimal] {
                assert_eq!(
                    decode_integer(&encoding.encode(n)),
                    Some((n, encoding)),
                    "{n}"
                );
            }
        }
    }

    #[test]
    fn only_canonical_decimal_counts_as_an_integer() {
        for bad in [
            "",
            "-",
            "+1",
            "01",
            "-0",
            " 1",
            "1 ",
            "1e3",
            "{}",
            "99999999999999999999",
        ] {
            assert_eq!(decode_integer(bad.as_bytes()), None, "{bad:?}");
        }
    }

    #[test]
    fn generations_are_nineteen_digits_with_a_sign_for_tombstones() {
        for random in [0, 1, u64::MAX, u64::MAX / 3, 1 << 63] {
            let live = generation(random, false);
            let dead = generation(random, true);
            assert_eq!(live.to_string().len(), 19, "{live}");
            assert_eq!(dead, -live);
            assert_eq!(Encoding::Decimal.encode(dead).len(), 20);
        }
    }

    #[test]
    fn a_pointer_is_zero_or_a_generation_and_anything_else_is_a_legacy_document() {
        let g = generation(99, false);
        for encoding in [Encoding::LittleEndian, Encoding::Decimal] {
            assert_eq!(
                Slot::decode(&encoding.encode(g)),
                Slot::Pointer {
                    generation: g,
                    encoding
                }
            );
            assert_eq!(
                Slot::decode(&encoding.encode(0)),
                Slot::Pointer {
                    generation: 0,
                    encoding
                }
            );
            assert_eq!(Slot::decode(&encoding.encode(5)), Slot::Legacy);
        }
        assert_eq!(Slot::decode(br#"{"schema":1,"ids":[]}"#), Slot::Legacy);
    }

    #[test]
    fn derived_keys_name_the_generation_and_a_separator_in_a_key_is_refused() {
        assert_eq!(document_key("a/b", 12), "a/b#12");
        assert_eq!(witness_key("a/b", -12), "a/b#-12.seen");
        assert!(check_key("a/b").is_ok());
        assert!(check_key("a#b").is_err());
    }
}
