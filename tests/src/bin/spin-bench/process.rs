//! The servers under test (Spin, the Node peer) as process groups, and the peak RSS of a
//! process tree: `spin up` runs the HTTP trigger as a child process, so the memory that
//! serves requests is the whole tree's, not the parent's.

use anyhow::{bail, Context, Result};
use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A server started in its own process group; dropping it ends the whole group.
pub struct Server {
    child: tokio::process::Child,
    pid: u32,
}

impl Server {
    /// Starts `command` in a new process group, its output appended to `log`.
    pub fn start(mut command: tokio::process::Command, log: &Path) -> Result<Self> {
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .with_context(|| format!("opening {}", log.display()))?;
        let err = out.try_clone()?;
        command
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .process_group(0)
            .kill_on_drop(true);
        let child = command
            .spawn()
            .with_context(|| format!("starting {:?}", command.as_std().get_program()))?;
        let pid = child.id().context("the server exited at once")?;
        Ok(Self { child, pid })
    }

    /// The group leader's pid (the root of the tree whose RSS is sampled).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Fails if the server has exited.
    pub fn check_running(&mut self) -> Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!("the server exited: {status}");
        }
        Ok(())
    }

    /// SIGTERM to the group, then SIGKILL after `grace`.
    pub async fn stop(mut self, grace: Duration) {
        signal_group(self.pid, "-TERM");
        if tokio::time::timeout(grace, self.child.wait())
            .await
            .is_err()
        {
            signal_group(self.pid, "-KILL");
            let _ = self.child.wait().await;
        }
        // Children that outlived their parent (none expected).
        signal_group(self.pid, "-KILL");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            signal_group(self.pid, "-KILL");
        }
    }
}

/// Sends `signal` to process group `pgid` with the system's `kill`.
fn signal_group(pgid: u32, signal: &str) {
    let _ = std::process::Command::new("kill")
        .args([signal, "--", &format!("-{pgid}")])
        .stderr(Stdio::null())
        .status();
}

/// Samples the RSS of a process tree in the background and keeps the peak.
pub struct PeakRss {
    peak_kib: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl PeakRss {
    /// Starts sampling the tree rooted at `root` every `every`.
    pub fn sample(root: u32, every: Duration) -> Self {
        let peak_kib = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (peak_kib, stop) = (peak_kib.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    peak_kib.fetch_max(tree_rss_kib(root), Ordering::Relaxed);
                    std::thread::sleep(every);
                }
            })
        };
        Self {
            peak_kib,
            stop,
            thread: Some(thread),
        }
    }

    /// Stops sampling; the peak in KiB.
    pub fn finish(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.peak_kib.load(Ordering::Relaxed)
    }
}

/// The summed VmRSS (KiB) of `root` and all its descendants, from /proc.
pub fn tree_rss_kib(root: u32) -> u64 {
    let mut parents = HashMap::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        // A process that exited meanwhile is skipped.
        if let Some(ppid) = std::fs::read_to_string(entry.path().join("stat"))
            .ok()
            .as_deref()
            .and_then(parent_pid)
        {
            parents.insert(pid, ppid);
        }
    }
    if !parents.contains_key(&root) {
        return 0;
    }
    descendants(root, &parents)
        .iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/status")).ok())
        .filter_map(|status| vm_rss_kib(&status))
        .sum()
}

/// The parent pid from a `/proc/<pid>/stat` line (the name in parentheses may hold
/// spaces and parentheses, so fields are counted after the last `)`).
fn parent_pid(stat: &str) -> Option<u32> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(1)?.parse().ok()
}

/// `VmRSS` in KiB from a `/proc/<pid>/status` text (absent for kernel threads).
fn vm_rss_kib(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// `root` and every process whose ancestry leads to it.
fn descendants(root: u32, parents: &HashMap<u32, u32>) -> Vec<u32> {
    let mut tree = vec![root];
    let mut grew = true;
    while grew {
        grew = false;
        for (&pid, ppid) in parents {
            if tree.contains(ppid) && !tree.contains(&pid) {
                tree.push(pid);
                grew = true;
            }
        }
    }
    tree
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parent_pid_is_read_after_a_name_with_spaces_and_parentheses() {
        let stat = "4242 (spin (trigger) x) S 4200 4242 4242 0 -1 4194560";
        assert_eq!(parent_pid(stat), Some(4200));
        assert_eq!(parent_pid("garbage"), None);
    }

    #[test]
    fn vm_rss_is_read_in_kib_and_absent_for_kernel_threads() {
        let status = "Name:\tspin\nVmPeak:\t  900 kB\nVmRSS:\t  245760 kB\nThreads:\t9\n";
        assert_eq!(vm_rss_kib(status), Some(245_760));
        assert_eq!(vm_rss_kib("Name:\tkthreadd\nThreads:\t1\n"), None);
    }

    #[test]
    fn the_tree_holds_children_and_grandchildren_but_not_siblings() {
        let parents = HashMap::from([(10, 1), (11, 10), (12, 11), (20, 1), (21, 20)]);
        let mut tree = descendants(10, &parents);
        tree.sort();
        assert_eq!(tree, [10, 11, 12]);
    }

    #[test]
    fn this_process_tree_has_a_resident_set() {
        let rss = tree_rss_kib(std::process::id());
        assert!(rss > 100, "{rss} KiB");
        assert_eq!(tree_rss_kib(u32::MAX), 0, "no such process");
    }

    #[tokio::test]
    async fn a_stopped_server_leaves_no_process_behind() {
        let dir = std::env::temp_dir().join(format!("spin-bench-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut command = tokio::process::Command::new("sh");
        // A parent with a child, like `spin up` and its trigger.
        command.args(["-c", "sleep 30 & wait"]);
        let mut server = Server::start(command, &dir.join("log")).unwrap();
        let pid = server.pid();
        tokio::time::sleep(Duration::from_millis(200)).await;
        server.check_running().unwrap();
        let peak = PeakRss::sample(pid, Duration::from_millis(10));
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(peak.finish() > 0);
        server.stop(Duration::from_secs(5)).await;
        // Killed processes take a moment to be reaped by init.
        let mut left = Vec::new();
        for _ in 0..50 {
            left = std::process::Command::new("pgrep")
                .args(["-g", &pid.to_string()])
                .output()
                .unwrap()
                .stdout;
            if left.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(
            left.is_empty(),
            "left behind: {}",
            String::from_utf8_lossy(&left)
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
