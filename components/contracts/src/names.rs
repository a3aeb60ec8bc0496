//! The names contract enums go by outside the WIT: in tokens, stored documents and the
//! API (`meetings:read`, `moderator`, `webinar`, `roles`). One list per enum, so every
//! caller and service spells them the same way; each enum gets `ALL` (in WIT order),
//! `as_str()` and `parse()`.

use crate::config::Section;
use crate::identity::Scope;
use crate::kaltura::MeetingKind;
use crate::KalturaRole;

/// Writes `ALL`, `as_str` and `parse` for a contract enum from its cases and their names.
macro_rules! names {
    ($what:literal, $enum:ident { $($case:ident => $name:literal,)* }) => {
        impl $enum {
            #[doc = concat!("Every ", $what, ", in the WIT order.")]
            pub const ALL: &'static [$enum] = &[$($enum::$case,)*];

            #[doc = concat!("The ", $what, "'s name outside the WIT (tokens, documents, the API).")]
            pub fn as_str(self) -> &'static str {
                match self {
                    $($enum::$case => $name,)*
                }
            }

            #[doc = concat!("The ", $what, " named `name` (exactly as [`Self::as_str`] spells it).")]
            pub fn parse(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|case| case.as_str() == name)
            }
        }
    };
}

names!("scope", Scope {
    MeetingsRead => "meetings:read",
    MeetingsWrite => "meetings:write",
    ConfigRead => "config:read",
    ConfigWrite => "config:write",
    AuditRead => "audit:read",
    KeysManage => "keys:manage",
});

names!("Kaltura role", KalturaRole {
    Viewer => "viewer",
    Moderator => "moderator",
    Admin => "admin",
});

names!("meeting kind", MeetingKind {
    Webinar => "webinar",
    Meeting => "meeting",
    Classroom => "classroom",
});

names!("settings section", Section {
    Commands => "commands",
    Roles => "roles",
    Notifications => "notifications",
    Features => "features",
    Kaltura => "kaltura",
});

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trips<T: Copy + PartialEq + std::fmt::Debug>(
        all: &[T],
        as_str: fn(T) -> &'static str,
        parse: fn(&str) -> Option<T>,
    ) {
        for case in all {
            assert_eq!(parse(as_str(*case)), Some(*case), "{case:?}");
        }
        let names: std::collections::BTreeSet<&str> =
            all.iter().map(|case| as_str(*case)).collect();
        assert_eq!(names.len(), all.len(), "names are distinct");
        assert_eq!(parse(""), None);
    }

    #[test]
    fn every_name_parses_back_to_its_case() {
        round_trips(Scope::ALL, Scope::as_str, Scope::parse);
        round_trips(KalturaRole::ALL, KalturaRole::as_str, KalturaRole::parse);
        round_trips(MeetingKind::ALL, MeetingKind::as_str, MeetingKind::parse);
        round_trips(Section::ALL, Section::as_str, Section::parse);
    }

    #[test]
    fn scope_names_are_the_ones_the_wit_documents() {
        let names: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            names,
            [
                "meetings:read",
                "meetings:write",
                "config:read",
                "config:write",
                "audit:read",
                "keys:manage"
            ]
        );
    }

    #[test]
    fn names_are_exact_and_case_sensitive() {
        assert_eq!(Scope::parse("Meetings:Read"), None);
        assert_eq!(KalturaRole::parse(" admin"), None);
        assert_eq!(MeetingKind::parse("meetings"), None);
        assert_eq!(Section::parse("ROLES"), None);
    }

    #[test]
    fn roles_are_listed_lowest_first() {
        assert_eq!(
            KalturaRole::ALL,
            [
                KalturaRole::Viewer,
                KalturaRole::Moderator,
                KalturaRole::Admin
            ]
        );
        assert!(KalturaRole::Viewer < KalturaRole::Moderator);
        assert!(KalturaRole::Moderator < KalturaRole::Admin);
    }
}
