//! Background processes of the local stack: started in a session of their
//! own so they outlive the command that started them, tracked by pid files,
//! and stopped politely before firmly.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A daemon known by its pid file and by a word its command line contains,
/// so that a recycled pid is never mistaken for it.
pub struct Daemon {
    pub pid_file: PathBuf,
    pub log_file: PathBuf,
    pub marker: String,
}

impl Daemon {
    /// The pid of the daemon if it is running.
    pub fn running_pid(&self) -> Option<i32> {
        let pid: i32 = fs::read_to_string(&self.pid_file).ok()?.trim().parse().ok()?;
        let cmdline = fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        let cmdline = String::from_utf8_lossy(&cmdline);
        cmdline.contains(&self.marker).then_some(pid)
    }

    /// Starts `command` detached, logging to the log file (appended).
    pub fn spawn(&self, mut command: Command) -> io::Result<i32> {
        let log = open_log(&self.log_file)?;
        command.stdin(Stdio::null()).stdout(log.try_clone()?).stderr(log);
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
        fs::write(&self.pid_file, pid.to_string())?;
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
        // SAFETY: plain syscall on a pid we verified belongs to our daemon.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if !Self::is_alive(pid) {
                let _ = fs::remove_file(&self.pid_file);
                return false;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        // SAFETY: as above.
        unsafe { libc::kill(pid, libc::SIGKILL) };
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

/// Whether this process runs as root (the PostgreSQL tools then need `runuser`).
pub fn running_as_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}
