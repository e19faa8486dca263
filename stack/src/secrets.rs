//! Secret files of the local stack (the PostgreSQL password, and the copy
//! `initdb` reads): created with mode 0600 from the first byte, never
//! written under a looser mode and tightened afterwards, so no other local
//! user can read one while the stack starts.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Creates `path` (which must not exist) with mode 0600 and writes `secret`.
pub fn write_secret(path: &Path, secret: &str) -> io::Result<()> {
    let mut file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(secret.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_secret_is_0600_from_its_creation_whatever_the_umask() {
        let dir = std::env::temp_dir().join(format!("secret-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("password");
        // SAFETY: umask only changes this process's file-creation mask.
        let previous = unsafe { libc::umask(0) };
        let written = write_secret(&path, "s3cr3t");
        unsafe { libc::umask(previous) };
        written.unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "s3cr3t");
        assert!(write_secret(&path, "again").is_err(), "an existing secret is never overwritten");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
