//! One `superstore up` (or `down`) at a time per stack: two racing would
//! both find Kafka not running and start it twice, or both run `initdb`.
//! An exclusive `flock` on `<home>/stack.lock`, held until the command is
//! done; the kernel releases it if the process dies.

use super::StackError;
use std::fs::{File, OpenOptions};
use std::os::unix::io::AsRawFd;
use std::path::Path;

/// Held while alive.
pub struct StackLock {
    _file: File,
}

impl StackLock {
    /// Takes the lock of the stack in `home`, waiting for another command to finish.
    pub fn acquire(home: &Path) -> Result<StackLock, StackError> {
        let path = home.join("stack.lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| StackError::io(format!("open {}", path.display()), e))?;
        let fd = file.as_raw_fd();
        // SAFETY: flock on a descriptor this function owns.
        if unsafe { libc::flock(fd, libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            eprintln!("waiting for another `superstore up` or `down` on this stack…");
            // SAFETY: as above.
            if unsafe { libc::flock(fd, libc::LOCK_EX) } != 0 {
                let error = std::io::Error::last_os_error();
                return Err(StackError::io(format!("lock {}", path.display()), error));
            }
        }
        Ok(StackLock { _file: file })
    }
}
