//! `register-commands`: see the library's documentation or run with `--help`.

use std::process::ExitCode;

use register_commands::cli::{self, Invocation, USAGE};
use register_commands::sync::{self, ThreadSleep};
use register_commands::transport::Ureq;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("register-commands: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let (scope, dry_run) = match cli::parse_args(std::env::args().skip(1))? {
        Invocation::Help => {
            println!("{USAGE}");
            return Ok(());
        }
        Invocation::Run { scope, dry_run } => (scope, dry_run),
    };
    let target = cli::target_from_env(|name| std::env::var(name).ok(), scope)?;
    let mut stdout = std::io::stdout().lock();
    sync::sync(
        &target,
        discord_bot::commands::definitions(),
        dry_run,
        &mut Ureq::new(),
        &mut ThreadSleep,
        &mut stdout,
    )
    .map(|_| ())
    .map_err(|err| err.to_string())
}
