//! Command versions, and how an interaction made for another version is answered.
//!
//! Discord keeps showing a member the command shapes their client loaded until it
//! refreshes, and during a rolling upgrade a replica may get an interaction made for
//! definitions registered by a newer one. An interaction does not say which version of
//! a command it was made for (Discord sends the command's id and the options, no
//! version), so the version is recognised by its **shape**: the option paths it uses
//! (`title`, `set.key`, `events.pause.subscription`).
//!
//! Every command carries a version ([`VERSIONS`]) and the shapes of its older versions
//! with what changed. [`check`] compares what an interaction used with the definition
//! now ([`crate::commands::definition`]):
//! - within today's shape, with every required option of the used subcommand: it is
//!   answered as today (an older version whose options are still all there — options
//!   added since are optional — is answered correctly);
//! - otherwise it was made for another version: nothing is done and the member reads
//!   [`Rejection::ChangedCommand`](crate::action::Rejection) — the command changed,
//!   run it again (naming the version it looks like, when one of the older shapes
//!   fits).
//!
//! A deprecated command says so in its description (prefix `[deprecated]`, the
//! replacement and the removal date) and every use is answered with that notice too,
//! until it is removed ([`deprecation_notice`]). The unit test
//! `every_definition_matches_its_versions_shape` fails when a definition's options
//! change without a new version, so the table cannot fall behind.
//!
//! | command | version | since v1 |
//! |---|---|---|
//! | `/kaltura-start` | 1 | — |
//! | `/kaltura-join` | 1 | — |
//! | `/kaltura-list` | 1 | — |
//! | `/kaltura-end` | 1 | — |
//! | `/kaltura-config` | 2 | v2 added `events list`, `events pause`, `events resume` |
//! | `/kaltura-video` | 1 | — (`search query [limit]`) |

use std::collections::BTreeSet;

use contracts::config::Command as CommandName;
use discord_api::commands::{Command, CommandOption};
use discord_api::model::{CommandData, CommandDataOption, OptionType};

/// An older version of a command: its options and what the next version changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// The version.
    pub version: u32,
    /// Every option path it had (`sub.option`; a subcommand alone is its name).
    pub options: &'static [&'static str],
    /// What changed after it, for people (`register-commands` prints it).
    pub change: &'static str,
}

/// A command to be removed: announced in its description and in every answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deprecation {
    /// What to use instead, e.g. `/kaltura-join`.
    pub replacement: &'static str,
    /// The date it goes, `YYYY-MM-DD`.
    pub removal: &'static str,
}

/// A command's version, its older shapes (oldest first) and its deprecation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommandVersion {
    /// The command.
    pub command: CommandName,
    /// Its version now.
    pub version: u32,
    /// The shapes of its older versions.
    pub older: &'static [Shape],
    /// Set while it is being retired.
    pub deprecated: Option<Deprecation>,
}

/// Every command's version.
pub const VERSIONS: &[CommandVersion] = &[
    CommandVersion {
        command: CommandName::KalturaStart,
        version: 1,
        older: &[],
        deprecated: None,
    },
    CommandVersion {
        command: CommandName::KalturaJoin,
        version: 1,
        older: &[],
        deprecated: None,
    },
    CommandVersion {
        command: CommandName::KalturaList,
        version: 1,
        older: &[],
        deprecated: None,
    },
    CommandVersion {
        command: CommandName::KalturaEnd,
        version: 1,
        older: &[],
        deprecated: None,
    },
    CommandVersion {
        command: CommandName::KalturaConfig,
        version: 2,
        older: &[Shape {
            version: 1,
            options: &[
                "reset",
                "reset.section",
                "set",
                "set.key",
                "set.value",
                "view",
                "view.section",
            ],
            change: "added `events list`, `events pause` and `events resume` (the server's event subscriptions)",
        }],
        deprecated: None,
    },
    CommandVersion {
        command: CommandName::KalturaVideo,
        version: 1,
        older: &[],
        deprecated: None,
    },
];

/// `command`'s entry of `table`.
pub fn version_in(table: &[CommandVersion], command: CommandName) -> Option<&CommandVersion> {
    table.iter().find(|v| v.command == command)
}

/// `command`'s version now.
pub fn version(command: CommandName) -> u32 {
    version_in(VERSIONS, command).map_or(1, |v| v.version)
}

fn definition_paths(
    prefix: &str,
    options: &[CommandOption],
    all: &mut BTreeSet<String>,
    required: &mut BTreeSet<String>,
) {
    for option in options {
        let path = if prefix.is_empty() {
            option.name.clone()
        } else {
            format!("{prefix}.{}", option.name)
        };
        all.insert(path.clone());
        if option.required {
            required.insert(path.clone());
        }
        definition_paths(&path, &option.options, all, required);
    }
}

/// A definition's option paths, and which of them are required.
pub fn shape_of(definition: &Command) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut all = BTreeSet::new();
    let mut required = BTreeSet::new();
    definition_paths("", &definition.options, &mut all, &mut required);
    (all, required)
}

fn used_paths(prefix: &str, options: &[CommandDataOption], used: &mut BTreeSet<String>) {
    for option in options {
        let path = if prefix.is_empty() {
            option.name.clone()
        } else {
            format!("{prefix}.{}", option.name)
        };
        used.insert(path.clone());
        if matches!(
            option.kind,
            OptionType::SubCommand | OptionType::SubCommandGroup
        ) {
            used_paths(&path, &option.options, used);
        }
    }
}

/// The option paths an interaction used.
pub fn used(data: &CommandData) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    used_paths("", &data.options, &mut used);
    used
}

/// How an interaction's options fit a command's versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fit {
    /// Today's shape (or an older one still answered correctly).
    Current,
    /// Made for another version: this older one, if one fits.
    Changed {
        /// The version now.
        now: u32,
        /// The older version whose shape fits, if any.
        made_for: Option<u32>,
    },
}

/// Whether `used` fits `definition` (today's shape): every path known, and every
/// required option present on each level that was used.
fn fits_today(definition: &Command, used: &BTreeSet<String>) -> bool {
    let (all, required) = shape_of(definition);
    if !used.is_subset(&all) {
        return false;
    }
    required.iter().all(|path| {
        let parent = path.rsplit_once('.').map(|(parent, _)| parent);
        // Required inside a subcommand only when that subcommand was used.
        let level_used = parent.is_none_or(|parent| used.contains(parent));
        !level_used || used.contains(path)
    })
}

/// How `used` fits `command` in `table`, against its definition now.
pub fn check_in(
    table: &[CommandVersion],
    command: CommandName,
    definition: &Command,
    used: &BTreeSet<String>,
) -> Fit {
    if fits_today(definition, used) {
        return Fit::Current;
    }
    let entry = version_in(table, command);
    let now = entry.map_or(1, |v| v.version);
    let made_for = entry.and_then(|v| {
        v.older
            .iter()
            .rev()
            .find(|shape| {
                used.iter()
                    .all(|path| shape.options.contains(&path.as_str()))
            })
            .map(|shape| shape.version)
    });
    Fit::Changed { now, made_for }
}

/// [`check_in`] with [`VERSIONS`] and today's definition.
pub fn check(command: CommandName, data: &CommandData) -> Fit {
    check_in(
        VERSIONS,
        command,
        &crate::commands::definition(command),
        &used(data),
    )
}

/// What a member reads when they use a deprecated command (in `table`), if it is.
pub fn deprecation_notice_in(table: &[CommandVersion], command: CommandName) -> Option<String> {
    let deprecation = version_in(table, command)?.deprecated?;
    Some(format!(
        "`/{command}` is deprecated and goes away on {}: use `{}` instead.",
        deprecation.removal, deprecation.replacement
    ))
}

/// [`deprecation_notice_in`] with [`VERSIONS`].
pub fn deprecation_notice(command: CommandName) -> Option<String> {
    deprecation_notice_in(VERSIONS, command)
}

/// The description of a deprecated command: `[deprecated] use X (until DATE)` first,
/// then as much of the description as fits Discord's 100 characters.
pub fn announce(description: &str, deprecation: Option<Deprecation>) -> String {
    let Some(deprecation) = deprecation else {
        return description.to_owned();
    };
    let prefix = format!(
        "[deprecated] use {} (until {}). ",
        deprecation.replacement, deprecation.removal
    );
    let room = 100usize.saturating_sub(prefix.chars().count());
    format!(
        "{prefix}{}",
        description.chars().take(room).collect::<String>()
    )
}

/// What changed between two versions of `command`, for `register-commands`: the
/// changes of every version after `from`, in order.
pub fn changes_since(command: CommandName, from: u32) -> Vec<String> {
    let Some(entry) = version_in(VERSIONS, command) else {
        return Vec::new();
    };
    entry
        .older
        .iter()
        .filter(|shape| shape.version >= from)
        .map(|shape| {
            format!(
                "v{} → v{}: {}",
                shape.version,
                shape.version + 1,
                shape.change
            )
        })
        .collect()
}

/// Which version a registered definition is, judged by its options: today's, an
/// older one, or `None` when its shape is none of them.
pub fn version_of_registered(command: CommandName, registered: &Command) -> Option<u32> {
    let (paths, _) = shape_of(registered);
    let (today, _) = shape_of(&crate::commands::definition(command));
    if paths == today {
        return Some(version(command));
    }
    version_in(VERSIONS, command)?
        .older
        .iter()
        .find(|shape| {
            shape.options.len() == paths.len() && shape.options.iter().all(|p| paths.contains(*p))
        })
        .map(|shape| shape.version)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::{definition, definitions};
    use serde_json::json;

    fn data(options: serde_json::Value) -> CommandData {
        serde_json::from_value(json!({"id": "1", "name": "x", "type": 1, "options": options}))
            .unwrap()
    }

    #[test]
    fn every_definition_matches_its_versions_shape() {
        // A change of options needs a new version, with the old shape kept: this test
        // fails until the table says so.
        for command in definitions() {
            let name = CommandName::parse(&command.name).unwrap();
            let entry = version_in(VERSIONS, name).unwrap();
            let (today, _) = shape_of(&command);
            for shape in entry.older {
                let old: BTreeSet<String> = shape.options.iter().map(|s| (*s).to_owned()).collect();
                assert_ne!(
                    old, today,
                    "{}: an older shape equals today's",
                    command.name
                );
                assert!(shape.version < entry.version);
            }
            assert_eq!(
                entry.older.len(),
                usize::try_from(entry.version - 1).unwrap(),
                "{}: one shape per older version",
                command.name
            );
        }
        assert_eq!(VERSIONS.len(), CommandName::ALL.len());
    }

    #[test]
    fn todays_shape_and_an_older_one_still_contained_are_answered() {
        let start = definition(CommandName::KalturaStart);
        let today = used(&data(json!([
            {"name": "type", "type": 3, "value": "webinar"},
            {"name": "title", "type": 3, "value": "x"}
        ])));
        assert_eq!(
            check_in(VERSIONS, CommandName::KalturaStart, &start, &today),
            Fit::Current
        );
        // /kaltura-config v1's `view` is still there in v2.
        let config = definition(CommandName::KalturaConfig);
        let view = used(&data(json!([{"name": "view", "type": 1, "options": []}])));
        assert_eq!(
            check_in(VERSIONS, CommandName::KalturaConfig, &config, &view),
            Fit::Current
        );
    }

    #[test]
    fn an_unknown_option_or_a_missing_required_one_is_another_version() {
        let start = definition(CommandName::KalturaStart);
        let renamed = used(&data(json!([
            {"name": "kind", "type": 3, "value": "webinar"},
            {"name": "title", "type": 3, "value": "x"}
        ])));
        assert_eq!(
            check_in(VERSIONS, CommandName::KalturaStart, &start, &renamed),
            Fit::Changed {
                now: 1,
                made_for: None
            }
        );
        let missing = used(&data(json!([{"name": "title", "type": 3, "value": "x"}])));
        assert!(matches!(
            check_in(VERSIONS, CommandName::KalturaStart, &start, &missing),
            Fit::Changed { .. }
        ));
        // A subcommand's required options count only when it is used.
        let config = definition(CommandName::KalturaConfig);
        let view = used(&data(json!([{"name": "view", "type": 1}])));
        assert_eq!(
            check_in(VERSIONS, CommandName::KalturaConfig, &config, &view),
            Fit::Current
        );
    }

    #[test]
    fn a_shape_of_an_older_version_is_named() {
        const TABLE: &[CommandVersion] = &[CommandVersion {
            command: CommandName::KalturaStart,
            version: 2,
            older: &[Shape {
                version: 1,
                options: &["kind", "title", "description"],
                change: "`kind` became `type`",
            }],
            deprecated: None,
        }];
        let start = definition(CommandName::KalturaStart);
        let old = used(&data(json!([
            {"name": "kind", "type": 3, "value": "webinar"},
            {"name": "title", "type": 3, "value": "x"}
        ])));
        assert_eq!(
            check_in(TABLE, CommandName::KalturaStart, &start, &old),
            Fit::Changed {
                now: 2,
                made_for: Some(1)
            }
        );
    }

    #[test]
    fn a_deprecated_command_is_announced_in_its_description_and_answers() {
        const TABLE: &[CommandVersion] = &[CommandVersion {
            command: CommandName::KalturaList,
            version: 1,
            older: &[],
            deprecated: Some(Deprecation {
                replacement: "/kaltura-join",
                removal: "2027-06-30",
            }),
        }];
        let notice = deprecation_notice_in(TABLE, CommandName::KalturaList).unwrap();
        assert!(
            notice.contains("deprecated")
                && notice.contains("2027-06-30")
                && notice.contains("/kaltura-join")
        );
        assert_eq!(deprecation_notice_in(TABLE, CommandName::KalturaJoin), None);
        let description = announce(&"x".repeat(100), TABLE[0].deprecated);
        assert!(description.starts_with("[deprecated] use /kaltura-join (until 2027-06-30)."));
        assert_eq!(description.chars().count(), 100);
        assert_eq!(announce("List", None), "List");
        assert_eq!(
            deprecation_notice(CommandName::KalturaList),
            None,
            "nothing is deprecated today"
        );
    }

    #[test]
    fn a_registered_definition_is_recognised_by_its_shape() {
        let today = definition(CommandName::KalturaConfig);
        assert_eq!(
            version_of_registered(CommandName::KalturaConfig, &today),
            Some(2)
        );
        let mut v1 = today.clone();
        v1.options.retain(|o| o.name != "events");
        assert_eq!(
            version_of_registered(CommandName::KalturaConfig, &v1),
            Some(1)
        );
        v1.options.clear();
        assert_eq!(version_of_registered(CommandName::KalturaConfig, &v1), None);
        assert_eq!(changes_since(CommandName::KalturaConfig, 1).len(), 1);
    }
}
