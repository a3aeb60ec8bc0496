//! What a bulk overwrite would change: the commands registered now against the
//! bot's definitions, compared by type and name after normalising what Discord adds
//! or leaves out on its own (IDs, `nsfw: false`, empty localizations, ...).

use std::collections::BTreeMap;
use std::fmt;

use contracts::config::Command as CommandName;
use discord_api::commands::{Command, CommandOption, IntegrationType};
use discord_api::id::GuildId;
use discord_bot::versions;

/// Where commands are registered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// For every server the app is installed in (`/applications/{id}/commands`);
    /// Discord may take up to an hour to show changes.
    Global,
    /// For one server only (`/applications/{id}/guilds/{guild}/commands`); changes
    /// show at once, which is what testing wants.
    Guild(GuildId),
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Global => f.write_str("global commands"),
            Self::Guild(guild) => write!(f, "commands of server {guild}"),
        }
    }
}

/// The definitions as they are sent for `scope`: guild commands carry no `contexts`
/// or `integration_types` (those are for global commands only; a guild command
/// exists in its server alone).
pub fn for_scope(commands: Vec<Command>, scope: Scope) -> Vec<Command> {
    match scope {
        Scope::Global => commands,
        Scope::Guild(_) => commands
            .into_iter()
            .map(|mut command| {
                command.contexts = None;
                command.integration_types = None;
                command
            })
            .collect(),
    }
}

/// The changes a bulk overwrite makes, by command name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Defined but not registered: will be created.
    pub added: Vec<String>,
    /// Registered but different: will be updated.
    pub changed: Vec<String>,
    /// Registered but no longer defined: will be deleted.
    pub removed: Vec<String>,
    /// Registered as defined.
    pub unchanged: Vec<String>,
    /// What each added or changed command's version change is, by name
    /// (`v1 → v2: added …`), from the bot's version table.
    pub versions: BTreeMap<String, String>,
}

impl Plan {
    /// Whether the overwrite would change nothing.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

/// One line per change (`+ added`, `~ changed`, `- removed`), or `no changes`.
impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return write!(
                f,
                "no changes ({} commands up to date)",
                self.unchanged.len()
            );
        }
        for (mark, names, what) in [
            ('+', &self.added, "added"),
            ('~', &self.changed, "changed"),
            ('-', &self.removed, "removed"),
        ] {
            for name in names {
                match self.versions.get(name) {
                    Some(version) => writeln!(f, "{mark} /{name} ({what}, {version})")?,
                    None => writeln!(f, "{mark} /{name} ({what})")?,
                }
            }
        }
        write!(
            f,
            "{} added, {} changed, {} removed, {} unchanged",
            self.added.len(),
            self.changed.len(),
            self.removed.len(),
            self.unchanged.len()
        )
    }
}

/// Compares what is registered (`current`) with what should be (`desired`, already
/// passed through [`for_scope`]).
pub fn plan(desired: &[Command], current: &[Command], scope: Scope) -> Plan {
    let key = |c: &Command| (u8::from(c.kind), c.name.clone());
    let registered_commands = current;
    let current: BTreeMap<_, _> = current
        .iter()
        .map(|c| (key(c), comparable(c, scope)))
        .collect();
    let mut plan = Plan::default();
    let registered: BTreeMap<_, _> = registered_commands.iter().map(|c| (key(c), c)).collect();
    for command in desired {
        match current.get(&key(command)) {
            None => {
                plan.added.push(command.name.clone());
                if let Some(name) = CommandName::parse(&command.name) {
                    plan.versions.insert(
                        command.name.clone(),
                        format!("v{}", versions::version(name)),
                    );
                }
            }
            Some(registered) if *registered == comparable(command, scope) => {
                plan.unchanged.push(command.name.clone());
            }
            Some(_) => {
                plan.changed.push(command.name.clone());
                if let (Some(name), Some(old)) = (
                    CommandName::parse(&command.name),
                    registered.get(&key(command)),
                ) {
                    plan.versions
                        .insert(command.name.clone(), version_change(name, old));
                }
            }
        }
    }
    let desired_keys: Vec<_> = desired.iter().map(key).collect();
    plan.removed = current
        .keys()
        .filter(|k| !desired_keys.contains(k))
        .map(|(_, name)| name.clone())
        .collect();
    plan
}

/// The version change of a command registered as `registered`: recognised by its
/// options (`discord_bot::versions`), with what each later version changed.
fn version_change(name: CommandName, registered: &Command) -> String {
    let now = versions::version(name);
    match versions::version_of_registered(name, registered) {
        Some(old) if old == now => format!("v{now}, same options: text or permissions"),
        Some(old) => versions::changes_since(name, old).join("; "),
        None => format!("an unknown version → v{now}"),
    }
}

/// A command as JSON without what Discord adds, defaults or drops on its own.
fn comparable(command: &Command, scope: Scope) -> serde_json::Value {
    let mut command = command.clone();
    command.id = None;
    if command.nsfw == Some(false) {
        command.nsfw = None;
    }
    if command
        .name_localizations
        .as_ref()
        .is_some_and(|m| m.is_empty())
    {
        command.name_localizations = None;
    }
    if command
        .description_localizations
        .as_ref()
        .is_some_and(|m| m.is_empty())
    {
        command.description_localizations = None;
    }
    match scope {
        Scope::Guild(_) => {
            command.contexts = None;
            command.integration_types = None;
        }
        Scope::Global => {
            // Discord reports the default installation type when none was sent.
            if command.integration_types.is_none() {
                command.integration_types = Some(vec![IntegrationType::GuildInstall]);
            }
        }
    }
    command.options.iter_mut().for_each(normalize_option);
    serde_json::to_value(&command).unwrap_or(serde_json::Value::Null)
}

fn normalize_option(option: &mut CommandOption) {
    if option
        .name_localizations
        .as_ref()
        .is_some_and(|m| m.is_empty())
    {
        option.name_localizations = None;
    }
    if option
        .description_localizations
        .as_ref()
        .is_some_and(|m| m.is_empty())
    {
        option.description_localizations = None;
    }
    for choice in &mut option.choices {
        if choice
            .name_localizations
            .as_ref()
            .is_some_and(|m| m.is_empty())
        {
            choice.name_localizations = None;
        }
    }
    option.options.iter_mut().for_each(normalize_option);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn guild() -> Scope {
        Scope::Guild("300000000000000001".parse().unwrap())
    }

    fn desired(scope: Scope) -> Vec<Command> {
        for_scope(discord_bot::commands::definitions(), scope)
    }

    /// The definitions as Discord returns them after registration: with IDs, an
    /// application ID, a version, `nsfw: false`, null localizations and
    /// `dm_permission`.
    fn as_registered(commands: &[Command]) -> Vec<Command> {
        commands
            .iter()
            .enumerate()
            .map(|(i, command)| {
                let mut value = serde_json::to_value(command).unwrap();
                let object = value.as_object_mut().unwrap();
                object.insert("id".into(), json!((1000 + i).to_string()));
                object.insert("application_id".into(), json!("1100000000000000001"));
                object.insert("version".into(), json!("1300000000000000001"));
                object.insert("nsfw".into(), json!(false));
                object.insert("dm_permission".into(), json!(true));
                object.insert("name_localizations".into(), json!(null));
                object
                    .entry("default_member_permissions")
                    .or_insert(json!(null));
                serde_json::from_value(value).unwrap()
            })
            .collect()
    }

    #[test]
    fn nothing_registered_means_every_command_is_added() {
        let plan = plan(&desired(Scope::Global), &[], Scope::Global);
        assert_eq!(
            plan.added,
            [
                "kaltura-start",
                "kaltura-join",
                "kaltura-list",
                "kaltura-end",
                "kaltura-config",
                "kaltura-video"
            ]
        );
        assert!(plan.changed.is_empty() && plan.removed.is_empty());
        assert!(plan.to_string().contains("+ /kaltura-start (added, v1)"));
    }

    #[test]
    fn what_discord_returns_after_registration_counts_as_no_change() {
        for scope in [Scope::Global, guild()] {
            let desired = desired(scope);
            let plan = plan(&desired, &as_registered(&desired), scope);
            assert!(plan.is_empty(), "{scope}: {plan}");
            assert_eq!(plan.unchanged.len(), 6);
            assert!(plan.to_string().starts_with("no changes"));
        }
    }

    #[test]
    fn a_changed_description_option_or_permission_is_a_change() {
        let desired = desired(Scope::Global);
        let mut registered = as_registered(&desired);
        registered[0].description = "Old text".into();
        registered[1].options.clear();
        registered[4].default_member_permissions = None;
        let plan = plan(&desired, &registered, Scope::Global);
        assert_eq!(
            plan.changed,
            ["kaltura-start", "kaltura-join", "kaltura-config"]
        );
        assert_eq!(
            plan.unchanged,
            ["kaltura-list", "kaltura-end", "kaltura-video"]
        );
        let text = plan.to_string();
        assert!(
            text.contains("~ /kaltura-start (changed, v1, same options: text or permissions)"),
            "{text}"
        );
        assert!(
            text.contains("~ /kaltura-join (changed, an unknown version → v1)"),
            "{text}"
        );
    }

    #[test]
    fn an_older_version_registered_shows_what_the_new_one_changes() {
        let desired = desired(Scope::Global);
        let mut registered = as_registered(&desired);
        // /kaltura-config as version 1 registered it: without the `events` group.
        registered[4].options.retain(|o| o.name != "events");
        let plan = plan(&desired, &registered, Scope::Global);
        assert_eq!(plan.changed, ["kaltura-config"]);
        let text = plan.to_string();
        assert!(
            text.contains("~ /kaltura-config (changed, v1 → v2: added `events list`, `events pause` and `events resume`"),
            "{text}"
        );
        let fresh = plan_for_nothing_registered();
        assert!(fresh.contains("+ /kaltura-config (added, v2)"), "{fresh}");
    }

    fn plan_for_nothing_registered() -> String {
        plan(&desired(Scope::Global), &[], Scope::Global).to_string()
    }

    #[test]
    fn a_command_no_longer_defined_is_removed() {
        let desired = desired(guild());
        let mut registered = as_registered(&desired);
        registered.push(Command::chat_input("kaltura-old", "Gone"));
        registered.push(Command::user("Start meeting"));
        let plan = plan(&desired, &registered, guild());
        assert_eq!(plan.removed, ["kaltura-old", "Start meeting"]);
        assert!(plan.to_string().contains("- /kaltura-old (removed)"));
    }

    #[test]
    fn guild_commands_are_sent_without_global_only_fields() {
        for command in desired(guild()) {
            let value = serde_json::to_value(&command).unwrap();
            assert_eq!(value.get("contexts"), None);
            assert_eq!(value.get("integration_types"), None);
        }
        let global = serde_json::to_value(&desired(Scope::Global)[0]).unwrap();
        assert_eq!(global["contexts"], json!([0]));
    }

    #[test]
    fn a_user_command_and_a_slash_command_of_one_name_are_different_commands() {
        let desired = vec![Command::chat_input("meet", "Meet")];
        let registered = vec![Command::user("meet")];
        let plan = plan(&desired, &registered, Scope::Global);
        assert_eq!(plan.added, ["meet"]);
        assert_eq!(plan.removed, ["meet"]);
    }
}
