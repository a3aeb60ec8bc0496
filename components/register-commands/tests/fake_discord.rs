//! The real binary against a tiny fake Discord on 127.0.0.1: a first run registers
//! (through a 429), a second run finds no changes, and the token is never printed.

// A test file throughout: a panic in the fake or a helper is a failed test.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::thread;

const APP: &str = "1100000000000000001";
const GUILD: &str = "300000000000000001";
const TOKEN: &str = "fake-bot-token-do-not-print";

/// What the fake saw and holds.
#[derive(Default)]
struct State {
    commands: serde_json::Value,
    rate_limit_next_put: bool,
    seen: Vec<String>,
}

/// A request as the fake sees it: method, path, lowercased headers, body.
type Received = (String, String, Vec<(String, String)>, Vec<u8>);

fn read_request(stream: &mut TcpStream) -> Option<Received> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let find = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let mut body = Vec::new();
    if let Some(length) = find("content-length") {
        body.resize(length.parse().ok()?, 0);
        reader.read_exact(&mut body).ok()?;
    } else if find("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let size = usize::from_str_radix(size.trim(), 16).ok()?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).ok()?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    }
    Some((method, path, headers, body))
}

fn answer(stream: &mut TcpStream, status: &str, extra: &str, body: &str) {
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n{extra}\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).unwrap();
}

/// Starts the fake; it serves at most `limit` connections.
fn fake_discord(limit: usize) -> (String, Arc<Mutex<State>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let state = Arc::new(Mutex::new(State {
        commands: serde_json::json!([]),
        rate_limit_next_put: true,
        seen: Vec::new(),
    }));
    let shared = Arc::clone(&state);
    thread::spawn(move || {
        for stream in listener.incoming().take(limit) {
            let mut stream = stream.unwrap();
            let Some((method, path, headers, body)) = read_request(&mut stream) else {
                continue;
            };
            let mut state = shared.lock().unwrap();
            let authorized = headers
                .iter()
                .any(|(n, v)| n == "authorization" && v == &format!("Bot {TOKEN}"));
            state.seen.push(format!("{method} {path}"));
            let expected = format!("/api/v10/applications/{APP}/guilds/{GUILD}/commands");
            if !authorized || path != expected {
                answer(
                    &mut stream,
                    "401 Unauthorized",
                    "",
                    r#"{"message":"401: Unauthorized","code":0}"#,
                );
                continue;
            }
            match method.as_str() {
                "GET" => {
                    let body = state.commands.to_string();
                    answer(&mut stream, "200 OK", "", &body);
                }
                "PUT" if state.rate_limit_next_put => {
                    state.rate_limit_next_put = false;
                    answer(
                        &mut stream,
                        "429 Too Many Requests",
                        "retry-after: 1\r\nx-ratelimit-scope: user\r\n",
                        r#"{"message":"You are being rate limited.","retry_after":0.05,"global":false}"#,
                    );
                }
                "PUT" => {
                    let mut commands: serde_json::Value = serde_json::from_slice(&body).unwrap();
                    for (i, command) in commands.as_array_mut().unwrap().iter_mut().enumerate() {
                        let object = command.as_object_mut().unwrap();
                        object.insert("id".into(), serde_json::json!((5000 + i).to_string()));
                        object.insert("application_id".into(), serde_json::json!(APP));
                        object.insert("guild_id".into(), serde_json::json!(GUILD));
                        object.insert("version".into(), serde_json::json!("1"));
                        object.insert("nsfw".into(), serde_json::json!(false));
                        object
                            .entry("default_member_permissions")
                            .or_insert(serde_json::Value::Null);
                    }
                    state.commands = commands;
                    let body = state.commands.to_string();
                    answer(&mut stream, "200 OK", "", &body);
                }
                _ => answer(&mut stream, "405 Method Not Allowed", "", "{}"),
            }
        }
    });
    (url, state)
}

fn run(url: &str, args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_register-commands"))
        .args(args)
        .env("DISCORD_APPLICATION_ID", APP)
        .env("DISCORD_BOT_TOKEN", TOKEN)
        .env("DISCORD_BASE_URL", url)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn registering_twice_overwrites_once_then_finds_no_changes() {
    let (url, state) = fake_discord(8);
    let (ok, first) = run(&url, &["--guild", GUILD]);
    assert!(ok, "{first}");
    assert!(first.contains("+ /kaltura-start (added, v1)"), "{first}");
    assert!(first.contains("waiting 0.05 s"), "{first}");
    assert!(first.contains("registered 6 commands"), "{first}");
    let (ok, second) = run(&url, &["--guild", GUILD]);
    assert!(ok, "{second}");
    assert!(second.contains("no changes"), "{second}");
    assert!(
        !first.contains(TOKEN) && !second.contains(TOKEN),
        "the token is never printed"
    );
    let path = format!("/api/v10/applications/{APP}/guilds/{GUILD}/commands");
    assert_eq!(
        state.lock().unwrap().seen,
        [
            format!("GET {path}"),
            format!("PUT {path}"),
            format!("PUT {path}"),
            format!("GET {path}")
        ]
    );
}

#[test]
fn a_refused_token_fails_the_run_without_printing_it() {
    let (url, _state) = fake_discord(2);
    let output = Command::new(env!("CARGO_BIN_EXE_register-commands"))
        .env("DISCORD_APPLICATION_ID", APP)
        .env("DISCORD_BOT_TOKEN", "another-secret-token")
        .env("DISCORD_BASE_URL", &url)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("401 Unauthorized"), "{stderr}");
    assert!(!stderr.contains("another-secret-token"));
}

#[test]
fn a_missing_token_is_named() {
    let output = Command::new(env!("CARGO_BIN_EXE_register-commands"))
        .env("DISCORD_APPLICATION_ID", APP)
        .env_remove("DISCORD_BOT_TOKEN")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("DISCORD_BOT_TOKEN is not set"));
}
