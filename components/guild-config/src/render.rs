//! Human-readable rendering of a section as name/value lines for a Discord embed's
//! fields (not raw JSON): mentions for roles, users and channels, permission names,
//! on/off words. Names stay within 256 characters, values within 1024 and never
//! empty, and no section gives more than 25 lines (Discord's embed field limits).

use std::collections::BTreeMap;

use contracts::config::{Command, Event, Section, SettingLine};
use contracts::KalturaRole;
use discord_api::response::limits;

use crate::discord::Mention;
use crate::model::{cut, EventConfig, GuildConfig};

fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

fn or_none(items: Vec<String>) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

/// One embed field: the name and value cut to Discord's limits, an empty value shown
/// as `—` (Discord refuses empty field values).
fn line(name: String, value: String) -> SettingLine {
    let value = if value.trim().is_empty() {
        "—".to_string()
    } else {
        cut(value, limits::EMBED_FIELD_VALUE)
    };
    SettingLine {
        name: cut(name, limits::EMBED_FIELD_NAME),
        value,
    }
}

fn event_label(event: Event) -> &'static str {
    match event {
        Event::MeetingStart => "Meeting started",
        Event::MeetingEnd => "Meeting ended",
        Event::RecordingReady => "Recording ready",
        Event::EntryReady => "New video ready",
    }
}

fn event_line(event: &EventConfig) -> String {
    let channel = event.channel_id.map_or_else(
        || "no channel".to_string(),
        |c| format!("posts in {}", c.mention()),
    );
    format!("{} · {channel}\n{}", on_off(event.enabled), event.template)
}

/// Renders one section of `config` as readable lines for embed fields.
pub fn render_readable(config: &GuildConfig, section: Section) -> Vec<SettingLine> {
    let lines: Vec<(String, String)> = match section {
        Section::Commands => {
            let mut lines = vec![(
                "All commands".to_string(),
                on_off(config.commands.enabled).to_string(),
            )];
            for &command in Command::ALL {
                let c = config.commands.get(command);
                let roles = if c.allowed_roles.is_empty() {
                    "any role".to_string()
                } else {
                    let mentions: Vec<String> =
                        c.allowed_roles.iter().map(|r| r.mention()).collect();
                    format!("roles: {}", mentions.join(", "))
                };
                let permissions = if c.required_permissions.is_empty() {
                    "no permissions needed".to_string()
                } else {
                    format!("needs {}", c.required_permissions.names().join(", "))
                };
                lines.push((
                    format!("/{}", command.as_str()),
                    format!("{} · {roles} · {permissions}", on_off(c.enabled)),
                ));
            }
            lines
        }
        Section::Roles => {
            let roles = &config.roles;
            let mut lines = vec![(
                "Default role".to_string(),
                roles.default_role.as_str().to_string(),
            )];
            let mut by_role: BTreeMap<KalturaRole, Vec<String>> = BTreeMap::new();
            for (id, role) in &roles.mapping {
                by_role.entry(*role).or_default().push(id.mention());
            }
            for &role in KalturaRole::ALL.iter().rev() {
                let mentions = by_role.remove(&role).unwrap_or_default();
                lines.push((
                    format!("Discord roles → {}", role.as_str()),
                    or_none(mentions),
                ));
            }
            let users: Vec<String> = roles
                .user_overrides
                .iter()
                .map(|(id, role)| format!("{} → {}", id.mention(), role.as_str()))
                .collect();
            lines.push(("Per-user roles".to_string(), or_none(users)));
            lines
        }
        Section::Notifications => {
            let n = &config.notifications;
            let mut lines = vec![
                ("Notifications".to_string(), on_off(n.enabled).to_string()),
                (
                    "@everyone / @here pings".to_string(),
                    if n.allow_everyone_mentions {
                        "allowed"
                    } else {
                        "suppressed"
                    }
                    .to_string(),
                ),
            ];
            for &event in Event::ALL {
                lines.push((
                    event_label(event).to_string(),
                    event_line(n.events.get(event)),
                ));
            }
            lines.push((
                "Meeting shared".to_string(),
                n.meeting_share.template.clone(),
            ));
            lines.push(("Video shared".to_string(), n.video_share.template.clone()));
            lines
        }
        Section::Features => {
            let f = &config.features;
            vec![
                (
                    "Meetings as a Discord Activity".to_string(),
                    on_off(f.activity).to_string(),
                ),
                (
                    "Embedded video player".to_string(),
                    on_off(f.embed_player).to_string(),
                ),
                (
                    "Recording notices".to_string(),
                    on_off(f.recording_notices).to_string(),
                ),
            ]
        }
        Section::Kaltura => {
            let k = &config.kaltura;
            let privileges = |p: &str| {
                if p.is_empty() {
                    "none".to_string()
                } else {
                    format!("`{p}`")
                }
            };
            vec![
                (
                    "Join privileges".to_string(),
                    privileges(&k.privileges.join),
                ),
                (
                    "Host privileges".to_string(),
                    privileges(&k.privileges.host),
                ),
                (
                    "View privileges".to_string(),
                    privileges(&k.privileges.view),
                ),
                (
                    "Player (uiconf)".to_string(),
                    k.player_uiconf_id
                        .map_or_else(|| "deployment default".to_string(), |id| id.to_string()),
                ),
                (
                    "Followed categories".to_string(),
                    or_none(k.category_ids.iter().map(u32::to_string).collect()),
                ),
            ]
        }
    };
    lines
        .into_iter()
        .take(limits::EMBED_FIELDS)
        .map(|(name, value)| line(name, value))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use discord_api::id::{ChannelId, RoleId, UserId};
    use discord_api::Permissions;

    fn value<'a>(lines: &'a [SettingLine], name: &str) -> &'a str {
        lines
            .iter()
            .find(|l| l.name == name)
            .map(|l| l.value.as_str())
            .unwrap_or_else(|| panic!("no line {name}"))
    }

    #[test]
    fn commands_render_with_role_mentions_and_permission_names() {
        let mut c = GuildConfig::default();
        c.commands.start.allowed_roles = vec![RoleId::new(123_456_789_012_345_678).unwrap()];
        c.commands.end.enabled = false;
        let lines = render_readable(&c, Section::Commands);
        assert_eq!(value(&lines, "All commands"), "on");
        assert_eq!(
            value(&lines, "/kaltura-start"),
            "on · roles: <@&123456789012345678> · no permissions needed"
        );
        assert!(value(&lines, "/kaltura-end").starts_with("off"));
        assert_eq!(
            value(&lines, "/kaltura-config"),
            "on · any role · needs MANAGE_GUILD"
        );
    }

    #[test]
    fn roles_render_grouped_by_kaltura_role_not_as_json() {
        let mut c = GuildConfig::default();
        c.roles.mapping.insert(
            RoleId::new(100_000_000_000_000_001).unwrap(),
            KalturaRole::Admin,
        );
        c.roles.mapping.insert(
            RoleId::new(100_000_000_000_000_002).unwrap(),
            KalturaRole::Admin,
        );
        c.roles.user_overrides.insert(
            UserId::new(200_000_000_000_000_001).unwrap(),
            KalturaRole::Moderator,
        );
        let lines = render_readable(&c, Section::Roles);
        assert_eq!(value(&lines, "Default role"), "viewer");
        assert_eq!(
            value(&lines, "Discord roles → admin"),
            "<@&100000000000000001>, <@&100000000000000002>"
        );
        assert_eq!(value(&lines, "Discord roles → moderator"), "none");
        assert_eq!(
            value(&lines, "Per-user roles"),
            "<@200000000000000001> → moderator"
        );
        assert!(lines
            .iter()
            .all(|l| !l.value.contains('{') && !l.value.contains('"')));
    }

    #[test]
    fn notifications_render_channels_as_mentions_with_their_templates() {
        let mut c = GuildConfig::default();
        c.notifications.events.meeting_start.channel_id = ChannelId::new(123_456_789_012_345_678);
        let lines = render_readable(&c, Section::Notifications);
        assert_eq!(
            value(&lines, "Meeting started"),
            format!(
                "on · posts in <#123456789012345678>\n{}",
                crate::DEFAULT_MEETING_START_TEMPLATE
            )
        );
        assert!(value(&lines, "Meeting ended").starts_with("on · no channel"));
        assert_eq!(value(&lines, "@everyone / @here pings"), "suppressed");
    }

    #[test]
    fn features_and_kaltura_render_as_words() {
        let mut c = GuildConfig::default();
        let lines = render_readable(&c, Section::Features);
        assert_eq!(value(&lines, "Meetings as a Discord Activity"), "off");
        c.kaltura.category_ids = vec![11, 12];
        let lines = render_readable(&c, Section::Kaltura);
        assert_eq!(value(&lines, "Player (uiconf)"), "deployment default");
        assert_eq!(value(&lines, "Followed categories"), "11, 12");
        assert_eq!(
            value(&lines, "View privileges"),
            "`setrole:PLAYBACK_BASE_ROLE`"
        );
    }

    #[test]
    fn rendered_lines_fit_discord_embed_field_limits() {
        let mut c = GuildConfig::default();
        c.notifications.meeting_share.template = "x".repeat(2000);
        for i in 0..100 {
            c.roles.mapping.insert(
                RoleId::new(100_000_000_000_000_000 + i).unwrap(),
                KalturaRole::Viewer,
            );
        }
        c.commands.start.required_permissions = Permissions::from_bits(u64::MAX);
        for &section in Section::ALL {
            let lines = render_readable(&c, section);
            assert!(!lines.is_empty() && lines.len() <= 25, "{section:?}");
            for SettingLine { name, value } in &lines {
                assert!(name.chars().count() <= 256);
                assert!(!value.trim().is_empty(), "{name}");
                assert!(value.chars().count() <= 1024, "{name}");
            }
        }
        let lines = render_readable(&c, Section::Notifications);
        assert!(value(&lines, "Meeting shared").ends_with('…'));
    }
}
