//! A macro for Discord's integer-tagged enums that keep values they do not know.

/// Declares an enum serialized as a JSON integer, with an `Unknown(u8)` variant that
/// keeps any value Discord adds later (as twilight-model does), so a new value never
/// fails a whole payload.
///
/// `From<u8>` maps known values to their variant (so `Unknown` never holds a known
/// value when built that way) and `From<Enum> for u8` gives the wire value back.
macro_rules! int_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this crate does not know, kept as sent.
            Unknown(u8),
        }

        impl From<u8> for $name {
            fn from(value: u8) -> Self {
                match value {
                    $( $value => Self::$variant, )+
                    other => Self::Unknown(other),
                }
            }
        }

        impl From<$name> for u8 {
            fn from(value: $name) -> u8 {
                match value {
                    $( $name::$variant => $value, )+
                    $name::Unknown(other) => other,
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_u8(u8::from(*self))
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                <u8 as serde::Deserialize>::deserialize(deserializer).map(Self::from)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    int_enum! {
        /// A test enum.
        pub enum Colour {
            /// One.
            Red = 1,
            /// Two.
            Green = 2,
        }
    }

    #[test]
    fn known_values_round_trip_as_integers() {
        let parsed: Colour = serde_json::from_str("2").unwrap();
        assert_eq!(parsed, Colour::Green);
        assert_eq!(serde_json::to_string(&Colour::Red).unwrap(), "1");
    }

    #[test]
    fn unknown_values_are_kept_and_written_back() {
        let parsed: Colour = serde_json::from_str("42").unwrap();
        assert_eq!(parsed, Colour::Unknown(42));
        assert_eq!(serde_json::to_string(&parsed).unwrap(), "42");
    }

    #[test]
    fn a_non_integer_is_rejected() {
        assert!(serde_json::from_str::<Colour>("\"1\"").is_err());
        assert!(serde_json::from_str::<Colour>("300").is_err());
    }
}
