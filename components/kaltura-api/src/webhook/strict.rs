//! JSON read strictly: an object that names a key twice is refused, where `serde_json`
//! would silently keep the last value. A notification whose body repeats a field could
//! otherwise say one thing to whoever reads the first value and another to whoever
//! reads the last (field smuggling); the signature does not prevent it, since Kaltura's
//! is `HASH(secret ‖ body)` and so open to length extension.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Why a strict read failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StrictError {
    /// The text is not JSON.
    Syntax,
    /// An object names this key twice.
    Repeated(String),
}

/// Parses `bytes` as JSON, refusing any object that repeats a key.
pub(crate) fn parse(bytes: &[u8]) -> Result<Value, StrictError> {
    let repeated = RefCell::new(None);
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = Strict(&repeated)
        .deserialize(&mut deserializer)
        .and_then(|value| deserializer.end().map(|()| value));
    value.map_err(|_| match repeated.take() {
        Some(key) => StrictError::Repeated(key),
        None => StrictError::Syntax,
    })
}

/// Reads one JSON value; the first key found twice is left in the cell.
#[derive(Clone, Copy)]
struct Strict<'a>(&'a RefCell<Option<String>>);

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                *self.0.borrow_mut() = Some(key);
                return Err(de::Error::custom("an object repeats a key"));
            }
            let value = map.next_value_seed(self)?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_without_repeated_keys_reads_as_serde_json_reads_it() {
        let text = br#"{"a":1,"b":[true,null,-2,1.5,"x",{"c":"d"}],"e":{"f":{}}}"#;
        assert_eq!(
            parse(text),
            Ok(serde_json::from_slice::<Value>(text).unwrap_or_default())
        );
        assert_eq!(parse(b"[]"), Ok(json!([])));
    }

    #[test]
    fn a_key_named_twice_at_any_depth_is_refused_by_name() {
        assert_eq!(
            parse(br#"{"kd_guild_id":"1","kd_guild_id":"2"}"#),
            Err(StrictError::Repeated("kd_guild_id".into()))
        );
        assert_eq!(
            parse(br#"{"object":{"tags":"a","id":"x","tags":"b"}}"#),
            Err(StrictError::Repeated("tags".into()))
        );
        assert_eq!(
            parse(br#"{"a":[{"b":1,"b":1}]}"#),
            Err(StrictError::Repeated("b".into()))
        );
    }

    #[test]
    fn broken_json_is_a_syntax_error() {
        assert_eq!(parse(b"{not json"), Err(StrictError::Syntax));
        assert_eq!(parse(b"{} trailing"), Err(StrictError::Syntax));
    }
}
