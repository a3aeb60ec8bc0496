//! The registration run: read what is registered, print the plan, bulk-overwrite when
//! something changed. Sans-I/O like the rest of the project: requests go through a
//! [`Transport`], waits through a [`Sleep`], so the whole run is tested with fakes.

use std::fmt;
use std::io::Write;
use std::time::Duration;

use discord_api::commands::Command;
use discord_api::id::ApplicationId;
use discord_api::rest::{
    self, ApiError, Client, Failure, GiveUp, NextTry, RestError, RetryPolicy, API_PREFIX,
};
use discord_api::token::BotToken;
use http::header::{AUTHORIZATION, USER_AGENT};
use http::{HeaderValue, Request, Response};

use crate::diff::{for_scope, plan, Plan, Scope};

/// The project URL in the `User-Agent`.
pub const PROJECT_URL: &str = "https://github.com/kaltura-discord/kaltura-discord";
/// Attempts per request (the first try and the retries after a 429 or a 5xx).
pub const MAX_ATTEMPTS: u32 = 5;
/// The longest wait honoured; a longer `retry_after` ends the run with a message
/// saying when to try again.
pub const MAX_WAIT: Duration = Duration::from_secs(60);

/// Discord's retry rule ([`RetryPolicy::next_try`]) with this tool's numbers: a `5xx`
/// is tried again after a second.
pub const RETRY: RetryPolicy = RetryPolicy {
    max_attempts: MAX_ATTEMPTS,
    max_wait: MAX_WAIT,
    first_backoff: Duration::from_secs(1),
    max_backoff: Duration::from_secs(1),
};

/// Sends one HTTP request and returns the response, whatever its status.
pub trait Transport {
    /// Sends `request`.
    ///
    /// # Errors
    /// A description of a connection or protocol failure (never containing a token).
    fn send(&mut self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, String>;
}

/// Waits.
pub trait Sleep {
    /// Waits for `duration`.
    fn sleep(&mut self, duration: Duration);
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct ThreadSleep;

impl Sleep for ThreadSleep {
    fn sleep(&mut self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

/// Where and as whom to register.
#[derive(Debug, Clone)]
pub struct Target {
    /// Discord's origin (`https://discord.com`, or a local fake), as
    /// [`rest::base_url`] reads it.
    pub base_url: String,
    /// The application.
    pub application: ApplicationId,
    /// The bot token (redacted in `Debug`).
    pub bot: BotToken,
    /// Global or one server.
    pub scope: Scope,
}

/// Why a run failed. Never contains the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    /// The base URL or a request is invalid.
    #[error("invalid request: {0}")]
    Request(#[from] RestError),
    /// Discord answered with an error.
    #[error("{0}")]
    Discord(ApiError),
    /// Rate limited for longer than [`MAX_WAIT`].
    #[error("rate limited by Discord for {0:?}; try again later")]
    WaitTooLong(Duration),
    /// Still failing after [`MAX_ATTEMPTS`] attempts.
    #[error("gave up after {MAX_ATTEMPTS} attempts: {0}")]
    GaveUp(ApiError),
    /// The request could not be sent or its response not read.
    #[error("could not reach Discord: {0}")]
    Transport(String),
    /// The output could not be written.
    #[error("could not write the report: {0}")]
    Output(String),
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// What differed before the run.
    pub plan: Plan,
    /// Whether the commands were overwritten (false when nothing changed or on a dry
    /// run).
    pub applied: bool,
}

fn user_agent() -> String {
    format!("DiscordBot ({PROJECT_URL}, {})", env!("CARGO_PKG_VERSION"))
}

fn commands_path(target: &Target) -> String {
    match target.scope {
        Scope::Global => format!("/applications/{}/commands", target.application),
        Scope::Guild(guild) => {
            format!(
                "/applications/{}/guilds/{guild}/commands",
                target.application
            )
        }
    }
}

/// `GET /applications/{id}[/guilds/{guild}]/commands` as the bot.
fn get_commands(target: &Target) -> Result<Request<Vec<u8>>, RestError> {
    let url = format!(
        "{}{API_PREFIX}{}",
        rest::base_url(Some(&target.base_url))?,
        commands_path(target)
    );
    let mut auth = HeaderValue::from_str(&format!("Bot {}", target.bot.expose_secret()))
        .map_err(|_| RestError::Assemble)?;
    auth.set_sensitive(true);
    Request::get(url)
        .header(USER_AGENT, user_agent())
        .header(AUTHORIZATION, auth)
        .body(Vec::new())
        .map_err(|_| RestError::Assemble)
}

/// `PUT` of the whole list, through `discord_api`'s builder (which validates it).
fn put_commands(
    client: &Client,
    target: &Target,
    commands: &[Command],
) -> Result<Request<Vec<u8>>, RestError> {
    match target.scope {
        Scope::Global => {
            client.bulk_overwrite_global_commands(&target.bot, target.application, commands)
        }
        Scope::Guild(guild) => {
            client.bulk_overwrite_guild_commands(&target.bot, target.application, guild, commands)
        }
    }
}

/// Sends the request `build` makes, retrying after a 429 (waiting its
/// `retry_after`) or a 5xx as [`RETRY`] says, and decodes the JSON answer.
fn call<T: serde::de::DeserializeOwned>(
    transport: &mut dyn Transport,
    sleep: &mut dyn Sleep,
    out: &mut dyn Write,
    build: &dyn Fn() -> Result<Request<Vec<u8>>, RestError>,
) -> Result<T, SyncError> {
    let mut attempt = 1;
    loop {
        let response = transport.send(build()?).map_err(SyncError::Transport)?;
        let err = match rest::decode::<T>(response) {
            Ok(value) => return Ok(value),
            Err(err) => err,
        };
        let wait = match RETRY.next_try(Failure::Answered(&err), attempt) {
            NextTry::RetryAfter(wait) => wait,
            NextTry::GiveUp(GiveUp::Refused) => return Err(SyncError::Discord(err)),
            NextTry::GiveUp(GiveUp::OutOfAttempts { .. }) => return Err(SyncError::GaveUp(err)),
            NextTry::GiveUp(GiveUp::WaitTooLong { wait }) => {
                return Err(SyncError::WaitTooLong(wait))
            }
        };
        writeln!(out, "{err}; waiting {:.2} s", wait.as_secs_f64())
            .map_err(|e| SyncError::Output(e.to_string()))?;
        sleep.sleep(wait);
        attempt += 1;
    }
}

/// Registers `commands` (the bot's definitions) for `target`: reads what is
/// registered, writes the plan to `out`, and bulk-overwrites unless nothing changed
/// or `dry_run` is set. Running it twice is safe: the second run finds no changes and
/// sends nothing.
///
/// # Errors
/// [`SyncError`] if Discord cannot be reached, refuses, or rate-limits for too long.
pub fn sync(
    target: &Target,
    commands: Vec<Command>,
    dry_run: bool,
    transport: &mut dyn Transport,
    sleep: &mut dyn Sleep,
    out: &mut dyn Write,
) -> Result<Report, SyncError> {
    let client = Client::new(&target.base_url, PROJECT_URL, env!("CARGO_PKG_VERSION"))?;
    let desired = for_scope(commands, target.scope);
    let current: Vec<Command> = call(transport, sleep, out, &|| get_commands(target))?;
    let plan = plan(&desired, &current, target.scope);
    let write = |out: &mut dyn Write, text: &dyn fmt::Display| {
        writeln!(out, "{text}").map_err(|e| SyncError::Output(e.to_string()))
    };
    write(
        out,
        &format_args!("{} of application {}:", target.scope, target.application),
    )?;
    write(out, &plan)?;
    if plan.is_empty() {
        return Ok(Report {
            plan,
            applied: false,
        });
    }
    if dry_run {
        write(out, &"dry run: nothing was sent")?;
        return Ok(Report {
            plan,
            applied: false,
        });
    }
    let registered: Vec<Command> = call(transport, sleep, out, &|| {
        put_commands(&client, target, &desired)
    })?;
    write(
        out,
        &format_args!("registered {} commands", registered.len()),
    )?;
    Ok(Report {
        plan,
        applied: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// A scripted answer: status, headers, body.
    type Answer = (u16, &'static [(&'static str, &'static str)], String);

    /// Answers from a script and records each request (method, path, whether it
    /// carried the bot token, body).
    struct Scripted {
        answers: VecDeque<Response<Vec<u8>>>,
        seen: Vec<(String, String, bool, Vec<u8>)>,
    }

    impl Scripted {
        fn new(answers: Vec<Answer>) -> Self {
            let answers = answers
                .into_iter()
                .map(|(status, headers, body)| {
                    let mut builder = Response::builder().status(status);
                    for (name, value) in headers {
                        builder = builder.header(*name, *value);
                    }
                    builder.body(body.into_bytes()).unwrap()
                })
                .collect();
            Self {
                answers,
                seen: Vec::new(),
            }
        }
    }

    impl Transport for Scripted {
        fn send(&mut self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, String> {
            let authorized = request
                .headers()
                .get(AUTHORIZATION)
                .is_some_and(|v| v == "Bot bot-token-secret");
            self.seen.push((
                request.method().to_string(),
                request.uri().path().to_owned(),
                authorized,
                request.body().clone(),
            ));
            self.answers
                .pop_front()
                .ok_or_else(|| "no more answers".to_owned())
        }
    }

    #[derive(Default)]
    struct Waits(Vec<Duration>);

    impl Sleep for Waits {
        fn sleep(&mut self, duration: Duration) {
            self.0.push(duration);
        }
    }

    fn target(scope: Scope) -> Target {
        Target {
            base_url: "http://127.0.0.1:9".into(),
            application: "1100000000000000001".parse().unwrap(),
            bot: BotToken::new("bot-token-secret").unwrap(),
            scope,
        }
    }

    fn registered(scope: Scope) -> String {
        let commands = for_scope(discord_bot::commands::definitions(), scope);
        let mut value = serde_json::to_value(commands).unwrap();
        for (i, command) in value.as_array_mut().unwrap().iter_mut().enumerate() {
            command["id"] = serde_json::json!((i + 1).to_string());
        }
        value.to_string()
    }

    fn run(
        scope: Scope,
        transport: &mut Scripted,
        waits: &mut Waits,
        dry: bool,
    ) -> (Result<Report, SyncError>, String) {
        let mut out = Vec::new();
        let result = sync(
            &target(scope),
            discord_bot::commands::definitions(),
            dry,
            transport,
            waits,
            &mut out,
        );
        (result, String::from_utf8(out).unwrap())
    }

    #[test]
    fn a_first_run_prints_the_additions_and_overwrites_the_guilds_commands() {
        let scope = Scope::Guild("300000000000000001".parse().unwrap());
        let mut transport =
            Scripted::new(vec![(200, &[], "[]".into()), (200, &[], registered(scope))]);
        let (result, out) = run(scope, &mut transport, &mut Waits::default(), false);
        let report = result.unwrap();
        assert!(report.applied);
        assert_eq!(report.plan.added.len(), 6);
        assert!(out.contains("+ /kaltura-config (added, v2)"), "{out}");
        assert!(out.contains("registered 6 commands"));
        let path = "/api/v10/applications/1100000000000000001/guilds/300000000000000001/commands";
        assert_eq!(transport.seen[0].0, "GET");
        assert_eq!(transport.seen[0].1, path);
        assert_eq!(transport.seen[1].0, "PUT");
        assert_eq!(transport.seen[1].1, path);
        assert!(transport
            .seen
            .iter()
            .all(|(_, _, authorized, _)| *authorized));
        let sent: serde_json::Value = serde_json::from_slice(&transport.seen[1].3).unwrap();
        assert_eq!(sent.as_array().unwrap().len(), 6);
        assert!(!out.contains("bot-token-secret"));
    }

    #[test]
    fn a_second_run_prints_no_changes_and_sends_nothing() {
        let mut transport = Scripted::new(vec![(200, &[], registered(Scope::Global))]);
        let (result, out) = run(Scope::Global, &mut transport, &mut Waits::default(), false);
        assert!(!result.unwrap().applied);
        assert!(out.contains("no changes"), "{out}");
        assert_eq!(transport.seen.len(), 1);
        assert_eq!(
            transport.seen[0].1,
            "/api/v10/applications/1100000000000000001/commands"
        );
    }

    #[test]
    fn a_dry_run_prints_the_plan_and_sends_no_overwrite() {
        let mut transport = Scripted::new(vec![(200, &[], "[]".into())]);
        let (result, out) = run(Scope::Global, &mut transport, &mut Waits::default(), true);
        assert!(!result.unwrap().applied);
        assert!(out.contains("dry run"));
        assert_eq!(transport.seen.len(), 1);
    }

    #[test]
    fn a_429_is_retried_after_its_retry_after() {
        let limited =
            r#"{"message":"You are being rate limited.","retry_after":0.25,"global":false}"#;
        let mut transport = Scripted::new(vec![
            (429, &[("retry-after", "1")], limited.into()),
            (200, &[], "[]".into()),
            (429, &[], limited.into()),
            (200, &[], registered(Scope::Global)),
        ]);
        // The JSON `retry_after` wins over the header, as everywhere Discord is called.
        let mut waits = Waits::default();
        let (result, out) = run(Scope::Global, &mut transport, &mut waits, false);
        assert!(result.unwrap().applied);
        assert_eq!(
            waits.0,
            [Duration::from_millis(250), Duration::from_millis(250)]
        );
        assert!(out.contains("waiting 0.25 s"), "{out}");
        assert_eq!(transport.seen.len(), 4);
    }

    #[test]
    fn a_very_long_rate_limit_ends_the_run_with_a_message() {
        let mut transport = Scripted::new(vec![(429, &[], r#"{"retry_after":3600}"#.into())]);
        let mut waits = Waits::default();
        let (result, _) = run(Scope::Global, &mut transport, &mut waits, false);
        assert_eq!(
            result.unwrap_err(),
            SyncError::WaitTooLong(Duration::from_secs(3600))
        );
        assert!(waits.0.is_empty());
    }

    #[test]
    fn server_errors_are_retried_a_few_times_then_given_up() {
        let answers = (0..MAX_ATTEMPTS)
            .map(|_| (502, &[][..], "bad gateway".to_owned()))
            .collect();
        let mut transport = Scripted::new(answers);
        let mut waits = Waits::default();
        let (result, _) = run(Scope::Global, &mut transport, &mut waits, false);
        assert!(matches!(
            result,
            Err(SyncError::GaveUp(ApiError::ServerError(_)))
        ));
        assert_eq!(waits.0.len() as u32, MAX_ATTEMPTS - 1);
    }

    #[test]
    fn an_invalid_token_is_reported_without_the_token() {
        let mut transport = Scripted::new(vec![(
            401,
            &[],
            r#"{"message":"401: Unauthorized","code":0}"#.into(),
        )]);
        let (result, out) = run(Scope::Global, &mut transport, &mut Waits::default(), false);
        let err = result.unwrap_err();
        assert_eq!(err, SyncError::Discord(ApiError::Unauthorized));
        assert!(!format!("{err} {err:?} {out}").contains("bot-token-secret"));
        assert!(!format!("{:?}", target(Scope::Global)).contains("bot-token-secret"));
    }

    #[test]
    fn an_invalid_base_url_is_refused_before_sending() {
        let mut transport = Scripted::new(vec![]);
        let mut out = Vec::new();
        let mut bad = target(Scope::Global);
        bad.base_url = "discord.com".into();
        let result = sync(
            &bad,
            vec![],
            false,
            &mut transport,
            &mut Waits::default(),
            &mut out,
        );
        assert_eq!(
            result.unwrap_err(),
            SyncError::Request(RestError::InvalidBaseUrl)
        );
        assert!(transport.seen.is_empty());
    }
}
