//! KS privileges: a typed builder for the comma-separated `name:value` string.
//!
//! Syntax (kaltura/server `kSessionBase::parsePrivileges`): privileges are separated by
//! `,`; each is `name` or `name:value`; several values of one privilege are joined with
//! `/` (`sview:0_a/0_b`). A KS v1 carries the string verbatim between `;` separators, a
//! KS v2 turns it into URL-encoded `name=value` fields next to `_e`, `_t`, `_u`.
//!
//! **Injection rule.** Text that comes from Discord can never add a privilege or a field:
//! - identifiers ([`PrivilegeValue`], [`Email`], [`crate::types::EntryId`],
//!   [`crate::types::KalturaUserId`]) are *rejected* if they contain anything outside a
//!   narrow charset (no `, : ; | & = /`, no whitespace or control characters);
//! - free-text names ([`DisplayName`]) are *sanitised*: each of
//!   `, : ; | & = / \ % < > " '` and every control character becomes a space, whitespace
//!   is collapsed and trimmed, and the result is cut to 64 characters.
//!
//! The tests check that after encoding and decoding a KS (v1 and v2) the privileges are
//! exactly the intended ones.

use std::fmt;

use crate::types::{check_token, EntryId, EventId, ResourceId, ValidationError};

/// A privilege name: 1–64 characters, an ASCII letter followed by letters, digits or `_`.
/// A name cannot start with `_` (those are KS v2's reserved fields `_e`, `_t`, `_u`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PrivilegeName(String);

impl PrivilegeName {
    /// Validates a privilege name.
    ///
    /// # Errors
    /// [`ValidationError`] when empty, too long, not starting with a letter or containing
    /// other characters than `[A-Za-z0-9_]`.
    pub fn new(name: impl Into<String>) -> Result<Self, ValidationError> {
        let name = name.into();
        check_token("privilege name", &name, 64, |c| {
            c.is_ascii_alphanumeric() || c == '_'
        })?;
        if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Err(ValidationError::ForbiddenCharacter {
                what: "privilege name",
            });
        }
        Ok(Self(name))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One privilege value that is an identifier (role name, privacy context, id, `*`):
/// 1–256 characters of `[A-Za-z0-9_.@+*-]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PrivilegeValue(String);

impl PrivilegeValue {
    /// Validates a privilege value.
    ///
    /// # Errors
    /// [`ValidationError`] when empty, too long or containing a character outside
    /// `[A-Za-z0-9_.@+*-]`.
    pub fn new(value: impl Into<String>) -> Result<Self, ValidationError> {
        let value = value.into();
        check_token("privilege value", &value, 256, |c| {
            c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '@' | '+' | '*' | '-')
        })?;
        Ok(Self(value))
    }

    /// The value as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's display name for `firstName:` / `lastName:` (from Discord), sanitised so it
/// cannot carry privilege or field syntax. See the module docs for the rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DisplayName(String);

impl DisplayName {
    /// Longest name kept, in characters.
    pub const MAX_LEN: usize = 64;

    /// Sanitises free text into a display name.
    ///
    /// # Errors
    /// [`ValidationError::Empty`] when nothing is left after sanitising.
    pub fn sanitize(raw: &str) -> Result<Self, ValidationError> {
        let replaced: String = raw
            .chars()
            .map(|c| {
                if c.is_control()
                    || matches!(
                        c,
                        ',' | ':'
                            | ';'
                            | '|'
                            | '&'
                            | '='
                            | '/'
                            | '\\'
                            | '%'
                            | '<'
                            | '>'
                            | '"'
                            | '\''
                    )
                {
                    ' '
                } else {
                    c
                }
            })
            .collect();
        let collapsed = replaced.split_whitespace().collect::<Vec<_>>().join(" ");
        let cut: String = collapsed.chars().take(Self::MAX_LEN).collect();
        let cut = cut.trim_end().to_owned();
        if cut.is_empty() {
            return Err(ValidationError::Empty {
                what: "display name",
            });
        }
        Ok(Self(cut))
    }

    /// The sanitised name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-mail address for the `email:` privilege: `local@domain`, at most 254 characters,
/// local part `[A-Za-z0-9._+-]`, domain `[A-Za-z0-9.-]` with a dot.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Validates an e-mail address.
    ///
    /// # Errors
    /// [`ValidationError`] for anything that is not a plain `local@domain` address.
    pub fn new(email: impl Into<String>) -> Result<Self, ValidationError> {
        let email = email.into();
        check_token("email", &email, 254, |c| {
            c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-' | '@')
        })?;
        let bad = ValidationError::ForbiddenCharacter { what: "email" };
        let (local, domain) = email.split_once('@').ok_or(bad.clone())?;
        if local.is_empty()
            || domain.contains('@')
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains('_')
            || domain.contains('+')
        {
            return Err(bad);
        }
        Ok(Self(email))
    }

    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The `actionslimit:` value: a positive number of API calls, or `-1`, which makes every
/// API call with the KS fail (`INVALID_ACTIONS_LIMIT`) — what KAF recommends for launch
/// KSs. `0` and other negatives are rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ActionsLimit(i64);

impl ActionsLimit {
    /// `actionslimit:-1`: the KS cannot be used for API calls at all.
    pub const NO_API_CALLS: Self = Self(-1);

    /// Makes an actions limit.
    ///
    /// # Errors
    /// [`ValidationError::OutOfRange`] unless `limit > 0` or `limit == -1`.
    pub fn new(limit: i64) -> Result<Self, ValidationError> {
        if limit > 0 || limit == -1 {
            Ok(Self(limit))
        } else {
            Err(ValidationError::OutOfRange {
                what: "actions limit",
            })
        }
    }

    /// The numeric value.
    pub fn get(self) -> i64 {
        self.0
    }
}

/// The `role:` privilege read by KAF / Kaltura meetings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MeetingRole {
    /// `viewerRole`: a participant.
    Viewer,
    /// `adminRole`: may manage the room.
    Admin,
}

impl MeetingRole {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewerRole",
            Self::Admin => "adminRole",
        }
    }
}

/// The `userContextualRole:` privilege read by Kaltura meetings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContextualRole {
    /// `0`: host / instructor.
    Host,
    /// `3`: attendee / guest (Kaltura's default).
    Attendee,
}

impl ContextualRole {
    /// The wire value.
    pub fn code(self) -> u8 {
        match self {
            Self::Host => 0,
            Self::Attendee => 3,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Privilege {
    name: String,
    values: Vec<String>,
}

/// An ordered set of KS privileges, rendered by `Display` as `name:v1/v2,flag,...`.
///
/// Each privilege appears once, at the position of its first use. Methods documented as
/// *adding* a value append to that privilege's `/`-separated list; methods documented as
/// *setting* replace it. Every input is already validated or sanitised, so the rendered
/// string can be put into a KS as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Privileges {
    entries: Vec<Privilege>,
}

impl Privileges {
    /// No privileges.
    pub fn new() -> Self {
        Self::default()
    }

    fn entry(&mut self, name: &str) -> &mut Vec<String> {
        let idx = match self.entries.iter().position(|p| p.name == name) {
            Some(i) => i,
            None => {
                self.entries.push(Privilege {
                    name: name.to_owned(),
                    values: Vec::new(),
                });
                self.entries.len() - 1
            }
        };
        &mut self.entries[idx].values
    }

    fn set(mut self, name: &str, value: Option<String>) -> Self {
        let values = self.entry(name);
        values.clear();
        values.extend(value);
        self
    }

    fn add(mut self, name: &str, value: String) -> Self {
        let values = self.entry(name);
        if values.iter().any(|v| v == "*") {
            return self;
        }
        if !values.contains(&value) {
            values.push(value);
        }
        self
    }

    /// Adds an entry to `sview:` (may view this entry even if entitlement forbids it).
    pub fn sview(self, entry: &EntryId) -> Self {
        self.add("sview", entry.as_str().to_owned())
    }

    /// Sets `sview:*` (may view every entry).
    pub fn sview_all(self) -> Self {
        self.set("sview", Some("*".into()))
    }

    /// Adds an entry to `edit:`.
    pub fn edit(self, entry: &EntryId) -> Self {
        self.add("edit", entry.as_str().to_owned())
    }

    /// Sets `edit:*`.
    pub fn edit_all(self) -> Self {
        self.set("edit", Some("*".into()))
    }

    /// Adds an entry to `list:` (bypasses the user filter when listing).
    pub fn list(self, entry: &EntryId) -> Self {
        self.add("list", entry.as_str().to_owned())
    }

    /// Sets `list:*`.
    pub fn list_all(self) -> Self {
        self.set("list", Some("*".into()))
    }

    /// Adds an entry to `download:`.
    pub fn download(self, entry: &EntryId) -> Self {
        self.add("download", entry.as_str().to_owned())
    }

    /// Sets `download:*`.
    pub fn download_all(self) -> Self {
        self.set("download", Some("*".into()))
    }

    /// Sets `setrole:<role id or system name>` (the KS acts with that user role).
    pub fn setrole(self, role: &PrivilegeValue) -> Self {
        self.set("setrole", Some(role.as_str().to_owned()))
    }

    /// Sets `actionslimit:<n>`.
    pub fn actionslimit(self, limit: ActionsLimit) -> Self {
        self.set("actionslimit", Some(limit.get().to_string()))
    }

    /// Sets `resourceId:<id>` (the meeting room a KAF launch opens).
    pub fn resource_id(self, id: ResourceId) -> Self {
        self.set("resourceId", Some(id.to_string()))
    }

    /// Sets `eventId:<id>` (the scheduled meeting a KAF launch opens).
    pub fn event_id(self, id: EventId) -> Self {
        self.set("eventId", Some(id.to_string()))
    }

    /// Sets `role:viewerRole` or `role:adminRole`.
    pub fn role(self, role: MeetingRole) -> Self {
        self.set("role", Some(role.as_str().to_owned()))
    }

    /// Sets `userContextualRole:<0|3>`.
    pub fn user_contextual_role(self, role: ContextualRole) -> Self {
        self.set("userContextualRole", Some(role.code().to_string()))
    }

    /// Sets `firstName:<name>`.
    pub fn first_name(self, name: &DisplayName) -> Self {
        self.set("firstName", Some(name.as_str().to_owned()))
    }

    /// Sets `lastName:<name>`.
    pub fn last_name(self, name: &DisplayName) -> Self {
        self.set("lastName", Some(name.as_str().to_owned()))
    }

    /// Sets `email:<address>`.
    pub fn email(self, email: &Email) -> Self {
        self.set("email", Some(email.as_str().to_owned()))
    }

    /// Sets the flag `enableentitlement`.
    pub fn enable_entitlement(self) -> Self {
        self.set("enableentitlement", None)
    }

    /// Sets the flag `disableentitlement`.
    pub fn disable_entitlement(self) -> Self {
        self.set("disableentitlement", None)
    }

    /// Adds a category privacy context to `privacycontext:`.
    pub fn privacy_context(self, context: &PrivilegeValue) -> Self {
        self.add("privacycontext", context.as_str().to_owned())
    }

    /// Sets `virtualeventid:<id>`.
    pub fn virtual_event_id(self, id: u64) -> Self {
        self.set("virtualeventid", Some(id.to_string()))
    }

    /// Adds a value to any other privilege (`value: None` makes it a bare flag).
    pub fn custom(self, name: &PrivilegeName, value: Option<&PrivilegeValue>) -> Self {
        match value {
            Some(v) => self.add(name.as_str(), v.as_str().to_owned()),
            None => self.set(name.as_str(), None),
        }
    }

    /// True when there is no privilege.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The privileges as `(name, value)` pairs in order; several values are joined with
    /// `/`, a flag has an empty value. This is what a decoded KS gives back.
    pub fn pairs(&self) -> Vec<(String, String)> {
        self.entries
            .iter()
            .map(|p| (p.name.clone(), p.values.join("/")))
            .collect()
    }
}

impl fmt::Display for Privileges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.entries.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(&p.name)?;
            if !p.values.is_empty() {
                write!(f, ":{}", p.values.join("/"))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ks::{self, KsVersion, SessionSpec, SessionType};
    use crate::types::{AdminSecret, KalturaUserId, PartnerId};

    fn ok<T, E: std::fmt::Debug>(r: Result<T, E>) -> T {
        match r {
            Ok(v) => v,
            Err(e) => panic!("unexpected error: {e:?}"),
        }
    }

    #[test]
    fn the_fixture_privileges_render_byte_for_byte() {
        let p = Privileges::new()
            .sview_all()
            .setrole(&ok(PrivilegeValue::new("PLAYBACK_BASE_ROLE")))
            .actionslimit(ActionsLimit::NO_API_CALLS);
        assert_eq!(
            p.to_string(),
            "sview:*,setrole:PLAYBACK_BASE_ROLE,actionslimit:-1"
        );
        assert_eq!(
            Privileges::new().disable_entitlement().to_string(),
            "disableentitlement"
        );
    }

    #[test]
    fn a_meeting_launch_renders_every_kaf_privilege() {
        let p = Privileges::new()
            .resource_id(ok(ResourceId::new(123)))
            .role(MeetingRole::Admin)
            .user_contextual_role(ContextualRole::Host)
            .first_name(&ok(DisplayName::sanitize("Ada")))
            .last_name(&ok(DisplayName::sanitize("Lovelace")))
            .email(&ok(Email::new("ada@example.com")))
            .actionslimit(ActionsLimit::NO_API_CALLS)
            .virtual_event_id(9)
            .event_id(ok(EventId::new(77)));
        assert_eq!(
            p.to_string(),
            "resourceId:123,role:adminRole,userContextualRole:0,firstName:Ada,\
             lastName:Lovelace,email:ada@example.com,actionslimit:-1,virtualeventid:9,eventId:77"
        );
    }

    #[test]
    fn repeated_entries_are_joined_with_slashes_and_setters_replace() {
        let a = ok(EntryId::new("0_a"));
        let b = ok(EntryId::new("0_b"));
        let p = Privileges::new()
            .sview(&a)
            .role(MeetingRole::Viewer)
            .sview(&b)
            .sview(&a)
            .role(MeetingRole::Admin)
            .enable_entitlement()
            .privacy_context(&ok(PrivilegeValue::new("ctx1")));
        assert_eq!(
            p.to_string(),
            "sview:0_a/0_b,role:adminRole,enableentitlement,privacycontext:ctx1"
        );
        assert_eq!(
            Privileges::new().sview_all().sview(&a).to_string(),
            "sview:*"
        );
        assert!(Privileges::new().is_empty());
        assert_eq!(Privileges::new().to_string(), "");
    }

    #[test]
    fn actions_limit_must_be_positive_or_minus_one() {
        assert!(ActionsLimit::new(0).is_err());
        assert!(ActionsLimit::new(-2).is_err());
        assert_eq!(ActionsLimit::new(-1), Ok(ActionsLimit::NO_API_CALLS));
        assert_eq!(ActionsLimit::new(5).map(ActionsLimit::get), Ok(5));
    }

    #[test]
    fn display_names_lose_every_delimiter_and_control_character() {
        let cases = [
            ("Eve,role:adminRole", "Eve role adminRole"),
            ("x&_u=admin", "x _u admin"),
            ("a;b|c/d\\e%f<g>h\"i'j", "a b c d e f g h i j"),
            ("line1\nline2\r\n\tend", "line1 line2 end"),
            ("  Zoë   🎉 ", "Zoë 🎉"),
            ("Tom & Jerry", "Tom Jerry"),
        ];
        for (raw, want) in cases {
            assert_eq!(ok(DisplayName::sanitize(raw)).as_str(), want, "{raw:?}");
        }
        assert!(DisplayName::sanitize(",,::&&").is_err());
        assert!(DisplayName::sanitize("").is_err());
        let long = ok(DisplayName::sanitize(&"é".repeat(100)));
        assert_eq!(long.as_str().chars().count(), DisplayName::MAX_LEN);
    }

    #[test]
    fn identifier_values_with_delimiters_are_rejected() {
        for bad in [
            "a,role:adminRole",
            "x&_u=y",
            "a:b",
            "a;b",
            "a|b",
            "a=b",
            "a/b",
            "a b",
            "a\nb",
            "",
        ] {
            assert!(PrivilegeValue::new(bad).is_err(), "{bad:?}");
            assert!(EntryId::new(bad).is_err(), "{bad:?}");
            assert!(Email::new(bad).is_err(), "{bad:?}");
        }
        assert!(Email::new("a@b").is_err());
        assert!(Email::new("a@@b.com").is_err());
        assert!(Email::new("a+tag@b-c.example.org").is_ok());
        assert!(PrivilegeName::new("_u").is_err());
        assert!(PrivilegeName::new("9x").is_err());
        assert!(PrivilegeName::new("appid").is_ok());
    }

    #[test]
    fn hostile_discord_names_survive_a_ks_round_trip_as_exactly_the_intended_privileges() {
        let secret = ok(AdminSecret::new("0123456789abcdef0123456789abcdef"));
        let hostile = [
            "Eve,role:adminRole",
            "&_u=admin&_t=2",
            "x:y,setrole:ADMIN;2;|z",
            "new\nline,actionslimit:1000",
            "100% = legit / ok",
            "Zoë 🎉 ~*",
        ];
        for raw in hostile {
            let intended = Privileges::new()
                .resource_id(ok(ResourceId::new(42)))
                .role(MeetingRole::Viewer)
                .user_contextual_role(ContextualRole::Attendee)
                .first_name(&ok(DisplayName::sanitize(raw)))
                .last_name(&ok(DisplayName::sanitize(raw)))
                .actionslimit(ActionsLimit::NO_API_CALLS);
            let spec = SessionSpec {
                partner_id: ok(PartnerId::new(1_234_567)),
                user_id: Some(ok(KalturaUserId::new("discord-42"))),
                session_type: SessionType::User,
                expiry_seconds: 600,
                privileges: intended.clone(),
            };
            for version in [KsVersion::V1, KsVersion::V2] {
                let ks = ok(ks::generate(
                    &secret,
                    &spec,
                    version,
                    1_700_000_000,
                    &[7u8; 16],
                ));
                let decoded = ok(ks::decode(ks.expose(), &[&secret], 1_700_000_001));
                assert_eq!(decoded.privileges, intended.pairs(), "{raw:?} {version:?}");
                assert_eq!(decoded.user_id, "discord-42");
                assert_eq!(decoded.session_type, SessionType::User);
                assert_eq!(decoded.valid_until, 1_700_000_600);
            }
        }
    }
}
