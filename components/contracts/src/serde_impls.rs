//! `serde` for the contract records that appear in stored JSON (the `serde` feature), in
//! exactly the form the stored documents have always used, so that documents written
//! before these types existed stay readable: [`Features`] is the `features` section of a
//! server's settings (`{"activity":false,"embed_player":true,"recording_notices":true}`).
//! The contract enums are (de)serialized by their names (see `names`).

use std::collections::BTreeMap;

use serde::de::{self, Deserialize, Deserializer};
use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::config::Features;

const FEATURE_FIELDS: &[&str] = &["activity", "embed_player", "recording_notices"];

impl Serialize for Features {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut fields = serializer.serialize_struct("features", FEATURE_FIELDS.len())?;
        fields.serialize_field("activity", &self.activity)?;
        fields.serialize_field("embed_player", &self.embed_player)?;
        fields.serialize_field("recording_notices", &self.recording_notices)?;
        fields.end()
    }
}

/// Every field is required and no other is accepted: a stored section is always whole
/// (the layers are merged onto the compiled defaults before they are read).
impl<'de> Deserialize<'de> for Features {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut fields = BTreeMap::<String, bool>::deserialize(deserializer)?;
        let mut take = |name: &'static str| {
            fields
                .remove(name)
                .ok_or_else(|| de::Error::missing_field(name))
        };
        let features = Features {
            activity: take("activity")?,
            embed_player: take("embed_player")?,
            recording_notices: take("recording_notices")?,
        };
        match fields.into_keys().next() {
            Some(unknown) => Err(de::Error::unknown_field(&unknown, FEATURE_FIELDS)),
            None => Ok(features),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::KalturaRole;
    use serde_json::json;

    #[test]
    fn a_role_is_stored_as_its_name() {
        for role in KalturaRole::ALL {
            let stored = serde_json::to_value(role).unwrap();
            assert_eq!(stored, json!(role.as_str()));
            assert_eq!(
                serde_json::from_value::<KalturaRole>(stored).unwrap(),
                *role
            );
        }
        assert!(serde_json::from_value::<KalturaRole>(json!("Admin")).is_err());
        assert!(serde_json::from_value::<KalturaRole>(json!(2)).is_err());
    }

    #[test]
    fn features_are_stored_as_the_features_section() {
        let features = Features {
            activity: false,
            embed_player: true,
            recording_notices: true,
        };
        let stored = json!({"activity": false, "embed_player": true, "recording_notices": true});
        assert_eq!(serde_json::to_value(features).unwrap(), stored);
        assert_eq!(
            serde_json::from_value::<Features>(stored).unwrap(),
            features
        );
    }

    #[test]
    fn a_features_section_must_be_whole_and_nothing_more() {
        let partial = json!({"activity": true, "embed_player": true});
        assert!(serde_json::from_value::<Features>(partial).is_err());
        let extra =
            json!({"activity": true, "embed_player": true, "recording_notices": true, "x": true});
        assert!(serde_json::from_value::<Features>(extra).is_err());
        let wrong = json!({"activity": "yes", "embed_player": true, "recording_notices": true});
        assert!(serde_json::from_value::<Features>(wrong).is_err());
    }
}
