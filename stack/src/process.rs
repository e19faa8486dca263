//! Background processes of the local stack: started in a session of their
//! own so they outlive the command that started them, tracked by pid files,
//! and stopped politely before firmly.
//!
//! A pid alone says little: pids are recycled. A pid file records the pid
//! and the process's start time (from `/proc/<pid>/stat`), and a daemon is
//! recognised only if both match and its command line holds every argument
//! of its identity (for Kafka, this stack's own config file; for the
//! registry, this stack's port). `down` signals nothing else.

use super::ownership::User;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub struct Daemon {
    pub pid_file: PathBuf,
    pub log_file: PathBuf,
    /// Arguments its command line must all hold, exactly.
    pub identity: Vec<String>,
}

/// The start time of process `pid`, in clock ticks since boot (field 22 of
/// `/proc/<pid>/stat`).
fn start_time(pid: i32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: count from its end.
    let after_name = stat.rsplit_once(')')?.1;
    after_name.split_whitespace().nth(19)?.parse().ok()
}

fn arguments(pid: i32) -> Vec<String> {
    fs::read(format!("/proc/{pid}/cmdline"))
        .map(|raw| {
            raw.split(|b| *b == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

impl Daemon {
    /// The pid of the daemon if it is running: the process the pid file
    /// names, started when the pid file says, with this daemon's arguments.
    pub fn running_pid(&self) -> Option<i32> {
        let recorded = fs::read_to_string(&self.pid_file).ok()?;
        let mut fields = recorded.split_whitespace();
        let pid: i32 = fields.next()?.parse().ok()?;
        // Pid files written before start times were recorded have none.
        let started: Option<u64> = fields.next().and_then(|s| s.parse().ok());
        if started.is_some() && start_time(pid) != started {
            return None;
        }
        let args = arguments(pid);
        self.identity.iter().all(|wanted| args.contains(wanted)).then_some(pid)
    }

    /// Whether the process the pid file names (with its start time) is gone:
    /// what a start waits on. Its arguments are not compared, which a
    /// process that has only just been spawned may not show yet.
    pub fn exited(&self) -> bool {
        let Ok(recorded) = fs::read_to_string(&self.pid_file) else { return true };
        let mut fields = recorded.split_whitespace();
        let Some(pid) = fields.next().and_then(|p| p.parse::<i32>().ok()) else { return true };
        let started: Option<u64> = fields.next().and_then(|s| s.parse().ok());
        !Self::is_alive(pid) || (started.is_some() && start_time(pid) != started)
    }

    /// Starts `command` detached, as `user` if one is given, logging to the
    /// log file (appended).
    pub fn spawn(&self, mut command: Command, user: Option<&User>) -> io::Result<i32> {
        let log = open_log(&self.log_file)?;
        command.stdin(Stdio::null()).stdout(log.try_clone()?).stderr(log);
        if let Some(user) = user {
            // std drops the supplementary groups of root when it sets the uid.
            command.uid(user.uid).gid(user.gid);
        }
        // SAFETY: setsid is async-signal-safe and touches no memory of the parent.
        unsafe {
            command.pre_exec(|| {
                if libc::setsid() == -1 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn()?;
        let pid = child.id() as i32;
        let started = start_time(pid).map(|t| t.to_string()).unwrap_or_default();
        fs::write(&self.pid_file, format!("{pid} {started}\n"))?;
        Ok(pid)
    }

    /// True while the process lives (a zombie counts as gone).
    pub fn is_alive(pid: i32) -> bool {
        match fs::read_to_string(format!("/proc/{pid}/stat")) {
            Ok(stat) => {
                !stat.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z'))
            }
            Err(_) => false,
        }
    }

    /// Sends SIGTERM, waits up to `grace`, then SIGKILL. Returns whether it had to kill.
    pub fn stop(&self, grace: Duration) -> bool {
        let Some(pid) = self.running_pid() else {
            let _ = fs::remove_file(&self.pid_file);
            return false;
        };
        // SAFETY: plain syscall on a pid whose start time and arguments are our daemon's.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if !Self::is_alive(pid) {
                let _ = fs::remove_file(&self.pid_file);
                return false;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        // Checked again: the pid may have been recycled while we waited.
        if self.running_pid() == Some(pid) {
            // SAFETY: as above.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        let _ = fs::remove_file(&self.pid_file);
        true
    }

    /// The last lines of the log, for error messages.
    pub fn log_tail(&self, lines: usize) -> String {
        tail(&self.log_file, lines)
    }
}

pub fn open_log(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

pub fn tail(path: &Path, lines: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Polls `check` until it succeeds or `timeout` passes; returns the last error.
pub fn wait_until<E>(timeout: Duration, mut check: impl FnMut() -> Result<(), E>) -> Result<(), E> {
    let deadline = Instant::now() + timeout;
    loop {
        match check() {
            Ok(()) => return Ok(()),
            Err(e) if Instant::now() >= deadline => return Err(e),
            Err(_) => std::thread::sleep(Duration::from_millis(500)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn daemon(dir: &Path, identity: &[&str]) -> Daemon {
        Daemon {
            pid_file: dir.join("test.pid"),
            log_file: dir.join("test.log"),
            identity: identity.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn a_pid_is_ours_only_with_its_start_time_and_its_arguments() {
        let dir = std::env::temp_dir().join(format!("daemon-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let mut child = Command::new("sleep").arg("30").spawn().unwrap();
        let pid = child.id() as i32;
        // Until the child has exec'd, its command line is still this test's.
        let deadline = Instant::now() + Duration::from_secs(5);
        while !arguments(pid).contains(&"sleep".to_owned()) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let started = start_time(pid).unwrap();
        let ours = daemon(&dir, &["sleep", "30"]);
        fs::write(&ours.pid_file, format!("{pid} {started}")).unwrap();
        assert_eq!(ours.running_pid(), Some(pid));
        fs::write(&ours.pid_file, format!("{pid} {}", started + 1)).unwrap();
        assert_eq!(ours.running_pid(), None, "another start time: a recycled pid");
        fs::write(&ours.pid_file, format!("{pid} {started}")).unwrap();
        assert_eq!(daemon(&dir, &["sleep", "31"]).running_pid(), None, "other arguments");
        assert_eq!(daemon(&dir, &["sleep"]).running_pid(), Some(pid), "all of the identity");
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(ours.running_pid(), None);
        fs::remove_dir_all(&dir).unwrap();
    }
}
