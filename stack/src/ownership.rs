//! Who owns and runs what, when the stack is started as root. PostgreSQL
//! refuses root and runs as `postgres`; Kafka and the registry run as a
//! dedicated system user, `superstore`, created once (idempotently) with
//! `useradd`. If that user cannot reach the stack's directory (a checkout
//! under a private home), they run as the invoking user, with a warning
//! that says why.
//!
//! Directories are handed to a service user by a walk that never follows
//! a symbolic link (`lchown`), and only directories the stack owns: under
//! its home, or the PostgreSQL fallback under /var/tmp that `up` chose.

use super::StackError;
use std::ffi::CString;
use std::fs;
use std::os::unix::fs::lchown;
use std::path::{Component, Path};
use std::process::Command;

/// The system user Kafka and the registry run as when started by root.
pub const SERVICE_USER: &str = "superstore";
/// What the PostgreSQL fallback directory under /var/tmp is called.
pub const FALLBACK_PREFIX: &str = "/var/tmp/superstore-postgres-";

/// A local user, by name and ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

/// The user `name`, if it exists.
pub fn lookup(name: &str) -> Option<User> {
    let c_name = CString::new(name).ok()?;
    // SAFETY: getpwnam returns null or a pointer into static storage, read
    // at once, before any other call could overwrite it.
    unsafe {
        let entry = libc::getpwnam(c_name.as_ptr());
        if entry.is_null() {
            return None;
        }
        Some(User { name: name.to_owned(), uid: (*entry).pw_uid, gid: (*entry).pw_gid })
    }
}

/// Whether `user` can reach `path` (execute: traverse a directory, run a file).
pub fn reachable_by(user: &str, path: &Path) -> bool {
    Command::new("runuser")
        .args(["-u", user, "--", "test", "-x"])
        .arg(path)
        .status()
        .is_ok_and(|s| s.success())
}

/// The user Kafka and the registry should run as: None when not root (they
/// run as the invoking user), or when the service user cannot reach all of
/// `needs` (then they run as root, and a warning says why).
pub fn service_user(needs: &[&Path]) -> Result<Option<User>, StackError> {
    if !running_as_root() {
        return Ok(None);
    }
    let user = match lookup(SERVICE_USER) {
        Some(user) => user,
        None => create_service_user()?,
    };
    if let Some(unreachable) = needs.iter().find(|p| !reachable_by(&user.name, p)) {
        tracing::warn!(
            user = %user.name,
            path = %unreachable.display(),
            "Kafka and the registry run as root: the service user cannot reach this path \
             (give the directories above it o+x, or move the checkout)"
        );
        return Ok(None);
    }
    Ok(Some(user))
}

fn create_service_user() -> Result<User, StackError> {
    let status = Command::new("useradd")
        .args(["--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent"])
        .args(["--shell", "/usr/sbin/nologin", "--comment", "superstore local stack"])
        .arg(SERVICE_USER)
        .status()
        .map_err(|e| StackError::io("run useradd", e))?;
    // Another `up` may have created it in between: what matters is that it exists now.
    lookup(SERVICE_USER).ok_or_else(|| StackError::Start {
        service: "the local stack",
        detail: format!(
            "cannot create the system user {SERVICE_USER} (useradd: {status}). Fix: create it \
             (useradd --system {SERVICE_USER}), or start the stack as a user other than root"
        ),
    })
}

/// Refuses a directory the stack should not hand to anyone: it must be
/// absolute, without `..`, without a symbolic link on the way, and either
/// `expected` or a PostgreSQL fallback under /var/tmp.
pub fn check_owned_dir(path: &Path, expected: &Path) -> Result<(), StackError> {
    let refuse = |why: &str| StackError::Start {
        service: "the local stack",
        detail: format!(
            "refusing to hand {} to a service user: {why}. Fix: if the path was recorded in \
             postgres.location, delete that file (and move the cluster back) so that `up` \
             chooses again",
            path.display()
        ),
    };
    if !path.is_absolute() || path.components().any(|c| matches!(c, Component::ParentDir)) {
        return Err(refuse("it is not an absolute path without `..`"));
    }
    let text = path.to_string_lossy();
    let fallback = text.strip_prefix(FALLBACK_PREFIX).is_some_and(|suffix| {
        suffix.len() == 10 && suffix.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    });
    if path != expected && !fallback {
        return Err(refuse("it is neither under the stack's home nor its /var/tmp fallback"));
    }
    let mut walked = std::path::PathBuf::new();
    for component in path.components() {
        walked.push(component);
        if fs::symlink_metadata(&walked).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(refuse(&format!("{} is a symbolic link", walked.display())));
        }
    }
    Ok(())
}

/// Gives `path` and everything under it to `user`, never following a link.
pub fn give_tree(path: &Path, user: &User) -> Result<(), StackError> {
    let failed = |e| StackError::io(format!("give {} to {}", path.display(), user.name), e);
    lchown(path, Some(user.uid), Some(user.gid)).map_err(failed)?;
    let metadata = fs::symlink_metadata(path).map_err(failed)?;
    if metadata.is_dir() {
        for entry in fs::read_dir(path).map_err(failed)? {
            give_tree(&entry.map_err(failed)?.path(), user)?;
        }
    }
    Ok(())
}

/// Whether this process runs as root (the PostgreSQL tools then need `runuser`).
pub fn running_as_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn only_the_stacks_own_directories_are_handed_over() {
        let home = std::env::temp_dir().join(format!("owned-test-{}", std::process::id()));
        fs::create_dir_all(&home).unwrap();
        let expected = home.join("postgres");
        fs::create_dir_all(&expected).unwrap();
        assert!(check_owned_dir(&expected, &expected).is_ok());
        assert!(check_owned_dir(Path::new("/var/tmp/superstore-postgres-a1b2c3d4e5"), &expected)
            .is_ok());
        for refused in [
            PathBuf::from("/etc"),
            PathBuf::from("/var/tmp/superstore-postgres-../../etc"),
            PathBuf::from("/var/tmp/superstore-postgres-ABC"),
            PathBuf::from("relative/postgres"),
            home.join("postgres/../../etc"),
        ] {
            assert!(check_owned_dir(&refused, &expected).is_err(), "{}", refused.display());
        }
        let link = home.join("link");
        std::os::unix::fs::symlink("/etc", &link).unwrap();
        assert!(check_owned_dir(&link.join("x"), &link.join("x")).is_err(), "through a link");
        fs::remove_dir_all(&home).unwrap();
    }
}
