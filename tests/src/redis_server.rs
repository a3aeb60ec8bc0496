//! A private `redis-server` for one test: a free loopback port, no persistence, killed
//! when dropped. Tests that exercise Spin's Redis key-value store run against it, so
//! the store's behaviour comes from Redis itself.

use anyhow::{bail, Context, Result};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `redis-server`, stopped on drop.
#[derive(Debug)]
pub struct RedisServer {
    child: Child,
    addr: SocketAddr,
}

impl RedisServer {
    /// Starts `redis-server` on a free 127.0.0.1 port, without persistence, and waits
    /// until it accepts connections.
    ///
    /// # Errors
    /// `redis-server` is not installed (`tests/run` installs the Debian package) or does
    /// not start within ten seconds.
    pub fn start() -> Result<Self> {
        // The port is free when probed but may be taken before redis-server binds it
        // (tests run in parallel): then it exits, or another server answers there. Only
        // a server that reports this child's process ID is taken; else try another port.
        let mut last = None;
        for _ in 0..5 {
            match Self::start_on_a_free_port()? {
                Ok(server) => return Ok(server),
                Err(why) => last = Some(why),
            }
        }
        bail!(
            "redis-server did not start: {}",
            last.unwrap_or_else(|| "no attempt".into())
        )
    }

    /// One attempt: `Ok(Err(why))` when the port was taken by someone else.
    fn start_on_a_free_port() -> Result<std::result::Result<Self, String>> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|err| {
                if err.kind() == std::io::ErrorKind::NotFound {
                    anyhow::anyhow!(
                        "redis-server is not installed: install the `redis-server` package \
                         (tests/run does it with apt-get) to run the Redis key-value tests"
                    )
                } else {
                    anyhow::Error::new(err).context("starting redis-server")
                }
            })?;
        let mut server = Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = server.child.try_wait().context("watching redis-server")? {
                return Ok(Err(format!("it exited at start ({status})")));
            }
            if TcpStream::connect(server.addr).is_ok() {
                return Ok(match server.process_id() {
                    Some(pid) if pid == server.child.id() => Ok(server),
                    _ => Err(format!("another server answers on port {port}")),
                });
            }
            if Instant::now() > deadline {
                bail!("redis-server did not accept connections within ten seconds");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The `process_id` the server on this address reports (`INFO server`).
    fn process_id(&self) -> Option<u32> {
        let mut connection = redis::Client::open(self.url())
            .ok()?
            .get_connection()
            .ok()?;
        let info: String = redis::cmd("INFO")
            .arg("server")
            .query(&mut connection)
            .ok()?;
        info.lines()
            .find_map(|line| line.trim().strip_prefix("process_id:"))
            .and_then(|pid| pid.parse().ok())
    }

    /// `redis://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("redis://{}/", self.addr)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
