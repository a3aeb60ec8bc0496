//! Command-line arguments and environment.

use discord_api::id::{ApplicationId, GuildId};
use discord_api::rest;
use discord_api::token::BotToken;

use crate::diff::Scope;
use crate::sync::Target;

/// The usage text.
pub const USAGE: &str = "\
usage: register-commands [--guild <server-id>] [--dry-run]

Registers the bot's slash commands with Discord: global commands by default, or one
server's with --guild (they show at once there; use it for testing). Prints what
changes and sends nothing when nothing does.

environment:
  DISCORD_APPLICATION_ID  the application's ID (required)
  DISCORD_BOT_TOKEN       the bot token (required; never printed)
  DISCORD_BASE_URL        Discord's origin, http(s)://host[:port] (default
                          https://discord.com)

options:
  --guild <id>  register for this server only
  --dry-run     print what would change, send nothing
  --help        show this text";

/// What the arguments ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invocation {
    /// Show the usage text.
    Help,
    /// Register.
    Run {
        /// Global or one server.
        scope: Scope,
        /// Print the plan only.
        dry_run: bool,
    },
}

/// Reads the arguments (without the program name).
///
/// # Errors
/// A message for an unknown argument, a missing or invalid server ID, or a repeat.
pub fn parse_args<I: IntoIterator<Item = String>>(args: I) -> Result<Invocation, String> {
    let mut scope = Scope::Global;
    let mut guild_seen = false;
    let mut dry_run = false;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
            None => (arg.clone(), None),
        };
        match flag.as_str() {
            "--help" | "-h" => return Ok(Invocation::Help),
            "--dry-run" if inline.is_none() => dry_run = true,
            "--guild" => {
                if guild_seen {
                    return Err("--guild is given twice".into());
                }
                guild_seen = true;
                let value = inline
                    .or_else(|| args.next())
                    .ok_or("--guild needs a server ID")?;
                let guild: GuildId = value
                    .trim()
                    .parse()
                    .map_err(|_| "--guild needs a server ID (a number)".to_owned())?;
                scope = Scope::Guild(guild);
            }
            _ => return Err(format!("unknown argument {flag:?}\n\n{USAGE}")),
        }
    }
    Ok(Invocation::Run { scope, dry_run })
}

/// The target from the environment (`get` reads one variable; empty counts as
/// unset).
///
/// # Errors
/// A message naming the missing or invalid variable (never its value for the token).
pub fn target_from_env(
    get: impl Fn(&str) -> Option<String>,
    scope: Scope,
) -> Result<Target, String> {
    let get = |name: &str| get(name).filter(|v| !v.trim().is_empty());
    let application: ApplicationId = get("DISCORD_APPLICATION_ID")
        .ok_or("DISCORD_APPLICATION_ID is not set")?
        .trim()
        .parse()
        .map_err(|_| "DISCORD_APPLICATION_ID is not an application ID (a number)".to_owned())?;
    let bot = BotToken::new(&get("DISCORD_BOT_TOKEN").ok_or("DISCORD_BOT_TOKEN is not set")?)
        .map_err(|err| format!("DISCORD_BOT_TOKEN is not usable: {err}"))?;
    let base_url = rest::base_url(get("DISCORD_BASE_URL").as_deref()).map_err(|_| {
        "DISCORD_BASE_URL is not a Discord origin (http(s)://host[:port], no path)".to_owned()
    })?;
    Ok(Target {
        base_url,
        application,
        bot,
        scope,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Invocation, String> {
        parse_args(list.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn no_arguments_mean_global_commands() {
        assert_eq!(
            args(&[]),
            Ok(Invocation::Run {
                scope: Scope::Global,
                dry_run: false
            })
        );
    }

    #[test]
    fn guild_takes_a_server_id_in_either_form() {
        let guild = Scope::Guild("300000000000000001".parse().unwrap());
        for form in [
            &["--guild", "300000000000000001"][..],
            &["--guild=300000000000000001", "--dry-run"],
        ] {
            let Ok(Invocation::Run { scope, .. }) = args(form) else {
                panic!("{form:?}");
            };
            assert_eq!(scope, guild);
        }
    }

    #[test]
    fn bad_arguments_are_explained() {
        assert!(args(&["--guild"])
            .unwrap_err()
            .contains("needs a server ID"));
        assert!(args(&["--guild", "abc"]).unwrap_err().contains("a number"));
        assert!(args(&["--guild", "1", "--guild", "2"])
            .unwrap_err()
            .contains("twice"));
        assert!(args(&["--global"])
            .unwrap_err()
            .starts_with("unknown argument"));
        assert_eq!(args(&["--help"]), Ok(Invocation::Help));
    }

    #[test]
    fn the_environment_gives_the_target_and_missing_values_are_named() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let target = target_from_env(
            env(&[
                ("DISCORD_APPLICATION_ID", "1100000000000000001"),
                ("DISCORD_BOT_TOKEN", "secret-token\n"),
            ]),
            Scope::Global,
        )
        .unwrap();
        assert_eq!(target.base_url, rest::DEFAULT_BASE_URL);
        let err = target_from_env(
            env(&[
                ("DISCORD_APPLICATION_ID", "1100000000000000001"),
                ("DISCORD_BOT_TOKEN", "secret-token"),
                ("DISCORD_BASE_URL", "https://proxy.example/discord"),
            ]),
            Scope::Global,
        )
        .unwrap_err();
        assert!(err.starts_with("DISCORD_BASE_URL"), "{err}");
        assert_eq!(target.bot.expose_secret(), "secret-token");
        let err = target_from_env(
            env(&[("DISCORD_APPLICATION_ID", "1100000000000000001")]),
            Scope::Global,
        )
        .unwrap_err();
        assert_eq!(err, "DISCORD_BOT_TOKEN is not set");
        let err = target_from_env(
            env(&[
                ("DISCORD_APPLICATION_ID", "x"),
                ("DISCORD_BOT_TOKEN", "secret-token"),
            ]),
            Scope::Global,
        )
        .unwrap_err();
        assert!(err.starts_with("DISCORD_APPLICATION_ID") && !err.contains("secret-token"));
        let err = target_from_env(
            env(&[
                ("DISCORD_APPLICATION_ID", "1"),
                ("DISCORD_BOT_TOKEN", "bad token"),
            ]),
            Scope::Global,
        )
        .unwrap_err();
        assert!(!err.contains("bad token"), "{err}");
    }
}
