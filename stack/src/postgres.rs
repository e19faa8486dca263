//! The local PostgreSQL cluster: `initdb` and `pg_ctl` from the installed
//! server binaries, on a loopback port of its own, with a generated password
//! kept in the stack directory (never in the repository).
//!
//! The server refuses to run as root. When we are root, the tools run as the
//! `postgres` user through `runuser`, on a directory that user owns; if the
//! stack directory is not reachable by `postgres` (a checkout under a private
//! home, say), the cluster lives under /var/tmp instead. The directory
//! recorded in `postgres.location` is checked before it is handed to
//! `postgres` (see `ownership`). The password files are 0600 from creation,
//! and the copy `initdb` reads is deleted right after it.

use super::ownership::running_as_root;
use super::ownership::{check_owned_dir, give_tree, lookup, reachable_by, FALLBACK_PREFIX};
use super::process::tail;
use super::secrets::write_secret;
use super::tls::Certificates;
use super::StackError;
use rand::distr::{Alphanumeric, SampleString};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const USER: &str = "superstore";
pub const DATABASE: &str = "superstore";
const SERVER_USER: &str = "postgres";

pub struct LocalPostgres {
    /// Holds `data/`, `run/` (the socket) and `postgres.log`.
    pub dir: PathBuf,
    /// Where the cluster lives unless the fallback under /var/tmp was chosen.
    expected_dir: PathBuf,
    pub port: u16,
    pub password_file: PathBuf,
    /// The stack's certificates when it runs secure: TLS only, verified.
    pub tls: Option<Certificates>,
}

impl LocalPostgres {
    /// The cluster of the stack in `home`. Where it lives is decided once
    /// and remembered in `home/postgres.location`.
    pub fn new(home: &Path, port: u16) -> Self {
        let location_file = home.join("postgres.location");
        let expected_dir = home.join("postgres");
        let dir = match fs::read_to_string(&location_file) {
            Ok(recorded) => PathBuf::from(recorded.trim()),
            Err(_) => {
                let chosen = if !running_as_root() || reachable_by(SERVER_USER, home) {
                    expected_dir.clone()
                } else {
                    fallback_dir()
                };
                // Not fatal if it cannot be written: the same choice is made next time.
                let _ = fs::write(&location_file, chosen.to_string_lossy().as_bytes());
                chosen
            }
        };
        let password_file = home.join("postgres.password");
        LocalPostgres { dir, expected_dir, port, password_file, tls: None }
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    pub fn log_file(&self) -> PathBuf {
        self.dir.join("postgres.log")
    }

    fn password(&self) -> Result<String, StackError> {
        fs::read_to_string(&self.password_file)
            .map(|p| p.trim().to_owned())
            .map_err(|e| StackError::io(format!("read {}", self.password_file.display()), e))
    }

    /// The URL of a database of this cluster, password included; on the
    /// secure stack with the server's certificate verified against the
    /// stack's CA, host name included (`verify-full`).
    pub fn url(&self, database: &str) -> Result<String, StackError> {
        let url =
            format!("postgres://{USER}:{}@127.0.0.1:{}/{database}", self.password()?, self.port);
        Ok(match &self.tls {
            None => url,
            Some(tls) => format!("{url}?sslmode=verify-full&sslrootcert={}", tls.ca().display()),
        })
    }

    /// Who may connect, and how, written before every start so that the
    /// stack's mode decides: `superstore-tls.conf` (included from
    /// postgresql.conf) and pg_hba.conf. Secure: `ssl = on` and `hostssl`
    /// entries only, so that a plaintext connection finds no entry and is
    /// refused.
    pub fn configure_access(&self) -> Result<(), StackError> {
        let data = self.data_dir();
        let conf = data.join("postgresql.conf");
        let text =
            fs::read_to_string(&conf).map_err(|e| StackError::io("read postgresql.conf", e))?;
        let include = "include_if_exists = 'superstore-tls.conf'";
        if !text.contains(include) {
            fs::write(&conf, format!("{text}\n{include}\n"))
                .map_err(|e| StackError::io("write postgresql.conf", e))?;
        }
        let (tls_settings, host) = match &self.tls {
            None => ("ssl = off\n".to_owned(), "host"),
            Some(tls) => {
                let server_user = if running_as_root() { lookup(SERVER_USER) } else { None };
                let (certificate, key) = tls.server_copy(&data, server_user.as_ref())?;
                let settings = format!(
                    "ssl = on\nssl_cert_file = '{}'\nssl_key_file = '{}'\n",
                    certificate.display(),
                    key.display()
                );
                (settings, "hostssl")
            }
        };
        fs::write(data.join("superstore-tls.conf"), tls_settings)
            .map_err(|e| StackError::io("write superstore-tls.conf", e))?;
        let access = format!(
            "# Written by `superstore up`; edits are overwritten.\n\
             local all all peer\n\
             {host} all all 127.0.0.1/32 scram-sha-256\n\
             {host} all all ::1/128 scram-sha-256\n"
        );
        fs::write(data.join("pg_hba.conf"), access)
            .map_err(|e| StackError::io("write pg_hba.conf", e))
    }

    pub fn is_initialized(&self) -> bool {
        self.data_dir().join("PG_VERSION").exists()
    }

    /// `initdb` once, then the settings this stack needs.
    pub fn init(&self) -> Result<(), StackError> {
        if self.is_initialized() {
            return Ok(());
        }
        // Before anything is created there: the path was read from a file.
        check_owned_dir(&self.dir, &self.expected_dir)?;
        fs::create_dir_all(self.dir.join("run"))
            .map_err(|e| StackError::io("create the PostgreSQL directory", e))?;
        if !self.password_file.exists() {
            let password = Alphanumeric.sample_string(&mut rand::rng(), 32);
            write_secret(&self.password_file, &password)
                .map_err(|e| StackError::io("write the password file", e))?;
        }
        // initdb reads the password from a file the server user can read; it
        // lives only for the duration of initdb (a copy left by an initdb that
        // died is replaced).
        let pwfile = self.dir.join("initdb.pw");
        let _ = fs::remove_file(&pwfile);
        write_secret(&pwfile, &self.password()?)
            .map_err(|e| StackError::io("write the initdb password", e))?;
        if let Err(e) = self.give_to_server_user(&self.dir) {
            let _ = fs::remove_file(&pwfile);
            return Err(e);
        }
        let result = self.run_tool(
            "initdb",
            &[
                "-D",
                &self.data_dir().to_string_lossy(),
                "-U",
                USER,
                &format!("--pwfile={}", pwfile.display()),
                "--auth-host=scram-sha-256",
                "--auth-local=peer",
                "--encoding=UTF8",
                "--no-locale",
            ],
        );
        let _ = fs::remove_file(&pwfile);
        result?;
        // track_commit_timestamp: scripts/bench.sh measures latency up to
        // the commit of the staging transaction, as PostgreSQL records it.
        let settings = format!(
            "\n# superstore local stack\nlisten_addresses = '127.0.0.1'\nport = {}\n\
             unix_socket_directories = '{}'\nmax_connections = 200\nshared_buffers = 256MB\n\
             log_min_messages = warning\n\
             track_commit_timestamp = on\n",
            self.port,
            self.dir.join("run").display()
        );
        let conf = self.data_dir().join("postgresql.conf");
        let mut text =
            fs::read_to_string(&conf).map_err(|e| StackError::io("read postgresql.conf", e))?;
        text.push_str(&settings);
        fs::write(&conf, text).map_err(|e| StackError::io("write postgresql.conf", e))?;
        Ok(())
    }

    pub fn is_running(&self) -> bool {
        self.is_initialized()
            && self
                .run_tool_output("pg_ctl", &["status", "-D", &self.data_dir().to_string_lossy()])
                .is_ok_and(|o| o.status.success())
    }

    pub fn start(&self) -> Result<(), StackError> {
        if self.is_running() {
            return Ok(());
        }
        let data = self.data_dir();
        let log = self.log_file();
        let port_option = format!("-p {}", self.port);
        self.run_tool(
            "pg_ctl",
            &[
                "start",
                "-D",
                &data.to_string_lossy(),
                "-l",
                &log.to_string_lossy(),
                "-w",
                "-t",
                "90",
                "-o",
                &port_option,
            ],
        )
        .map_err(|e| StackError::Start {
            service: "PostgreSQL",
            detail: format!("{e}\n{}", tail(&log, 20)),
        })
    }

    pub fn stop(&self) -> Result<(), StackError> {
        if !self.is_running() {
            return Ok(());
        }
        self.run_tool(
            "pg_ctl",
            &["stop", "-D", &self.data_dir().to_string_lossy(), "-m", "fast", "-w", "-t", "60"],
        )
    }

    /// Creates the `superstore` database if it is missing.
    pub fn ensure_database(&self) -> Result<(), StackError> {
        use diesel::prelude::*;
        use diesel::sql_types::{Bool, Text};

        #[derive(QueryableByName)]
        struct Exists {
            #[diesel(sql_type = Bool)]
            exists: bool,
        }
        let mut conn = superstore_database::connect(&self.url("postgres")?)
            .map_err(|e| StackError::Database(e.to_string()))?;
        let found: Exists = diesel::sql_query(
            "select exists(select 1 from pg_database where datname = $1) as exists",
        )
        .bind::<Text, _>(DATABASE)
        .get_result(&mut conn)
        .map_err(|e| StackError::Database(e.to_string()))?;
        if !found.exists {
            // The name is a constant of ours, never input: DDL cannot take a bind parameter.
            diesel::sql_query(format!("create database {DATABASE}"))
                .execute(&mut conn)
                .map_err(|e| StackError::Database(e.to_string()))?;
        }
        Ok(())
    }

    /// Hands the cluster's directory to `postgres`, once it is checked to be
    /// the stack's own (the path comes from a file).
    fn give_to_server_user(&self, path: &Path) -> Result<(), StackError> {
        if !running_as_root() {
            return Ok(());
        }
        check_owned_dir(path, &self.expected_dir)?;
        let user = lookup(SERVER_USER).ok_or_else(|| StackError::Missing {
            what: format!("the system user `{SERVER_USER}`"),
            fix: "install the PostgreSQL server (Debian: apt-get install postgresql)".into(),
        })?;
        give_tree(path, &user)
    }

    fn run_tool(&self, tool: &str, args: &[&str]) -> Result<(), StackError> {
        let output = self.run_tool_output(tool, args)?;
        if output.status.success() {
            Ok(())
        } else {
            Err(StackError::Start {
                service: "PostgreSQL",
                detail: format!(
                    "{tool} failed ({}): {}{}",
                    output.status,
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                ),
            })
        }
    }

    fn run_tool_output(&self, tool: &str, args: &[&str]) -> Result<Output, StackError> {
        let program = find_tool(tool)?;
        let mut command = if running_as_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", SERVER_USER, "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        command.args(args).current_dir(&self.dir);
        command.output().map_err(|e| StackError::io(format!("run {}", program.display()), e))
    }
}

/// Finds a PostgreSQL server tool: `PG_BIN_DIR`, then `PATH`, then the
/// newest `/usr/lib/postgresql/*/bin` (where Debian puts them).
fn find_tool(tool: &str) -> Result<PathBuf, StackError> {
    let mut candidates = Vec::new();
    if let Ok(dir) = std::env::var(crate::variables::PG_BIN_DIR) {
        candidates.push(PathBuf::from(dir));
    }
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path));
    }
    if let Ok(entries) = fs::read_dir("/usr/lib/postgresql") {
        let mut versions: Vec<PathBuf> =
            entries.filter_map(|e| e.ok()).map(|e| e.path().join("bin")).collect();
        versions.sort_by_key(|p| std::cmp::Reverse(version_of(p)));
        candidates.extend(versions);
    }
    candidates.into_iter().map(|dir| dir.join(tool)).find(|p| p.is_file()).ok_or_else(|| {
        StackError::Missing {
            what: format!("the PostgreSQL server tool `{tool}`"),
            fix: "install the PostgreSQL server binaries (Debian: apt-get install postgresql), \
              or set PG_BIN_DIR"
                .into(),
        }
    })
}

fn version_of(bin_dir: &Path) -> u32 {
    bin_dir
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// A fresh directory under /var/tmp for this stack's cluster.
fn fallback_dir() -> PathBuf {
    let suffix = Alphanumeric.sample_string(&mut rand::rng(), 10).to_lowercase();
    PathBuf::from(format!("{FALLBACK_PREFIX}{suffix}"))
}
