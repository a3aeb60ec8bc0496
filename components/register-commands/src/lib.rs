//! `register-commands`: registers the bot's slash commands with Discord from the same
//! definitions the bot dispatches on ([`discord_bot::commands::definitions`]).
//!
//! ```text
//! DISCORD_APPLICATION_ID=... DISCORD_BOT_TOKEN=... \
//!   cargo run -p register-commands -- --guild <server-id>   # one server, instant
//! DISCORD_APPLICATION_ID=... DISCORD_BOT_TOKEN=... \
//!   cargo run -p register-commands                          # global
//! ```
//!
//! It reads what is registered, prints what will change (added, changed, removed, by
//! name), and bulk-overwrites (`PUT`) only when something changed, so running it twice
//! is safe: the second run prints "no changes" and sends nothing. It honours Discord's
//! rate limits (`retry_after`). The token is read from the environment and never
//! printed. `DISCORD_BASE_URL` (default `https://discord.com`) points it at a fake.
//!
//! - [`cli`]: arguments and environment.
//! - [`diff`]: what an overwrite would change.
//! - [`sync`]: the run, over a [`sync::Transport`] port.
//! - [`transport`]: the blocking HTTP client (`ureq`, rustls).

pub mod cli;
pub mod diff;
pub mod sync;
pub mod transport;
