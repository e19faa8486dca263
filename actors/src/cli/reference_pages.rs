//! The book's reference pages and the man pages, generated from what they
//! describe: the command line from its clap definitions, the configuration
//! from the flags' `env` and the [`super::environment`] list, the metrics
//! from their declarations. A test holds each committed page to its source;
//! `scripts/reference.sh` writes them again after a change.

use super::environment::{self, Variable};
use super::Cli;
use clap::{Arg, Command, CommandFactory};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use superstore_actors::metrics;
use superstore_registry::http::metrics as registry_metrics;

/// Where the pages go, relative to the repository's root.
const REFERENCE_DIR: &str = "docs/src/reference";
const MAN_DIR: &str = "docs/man";

/// The command tree, with clap's derived settings applied (global flags
/// propagated, help flags added).
fn command() -> Command {
    let mut command = Cli::command();
    command.build();
    command
}

/// Every page, by path: the three reference pages and one man page per
/// command.
fn pages() -> BTreeMap<PathBuf, String> {
    let command = command();
    let mut pages = BTreeMap::new();
    let reference = Path::new(REFERENCE_DIR);
    pages.insert(reference.join("cli.md"), cli_page(&command));
    pages.insert(reference.join("configuration.md"), configuration_page(&command));
    pages.insert(reference.join("metrics.md"), metrics_page());
    for (name, command) in commands(&command, "superstore") {
        // A man page is named for the whole command (`superstore-offsets-reset`);
        // clap takes a command's name as a static string.
        let page_name: &'static str = Box::leak(name.replace(' ', "-").into_boxed_str());
        let mut roff = Vec::new();
        clap_mangen::Man::new(command.clone().name(page_name))
            .render(&mut roff)
            .expect("a man page renders into memory");
        let text = String::from_utf8(roff).expect("clap_mangen writes UTF-8");
        pages.insert(Path::new(MAN_DIR).join(format!("{page_name}.1")), text);
    }
    pages
}

/// The command and its subcommands, depth first, each with its full name.
fn commands<'a>(command: &'a Command, name: &str) -> Vec<(String, &'a Command)> {
    let mut all = vec![(name.to_owned(), command)];
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help" && !s.is_hide_set()) {
        all.extend(commands(sub, &format!("{name} {}", sub.get_name())));
    }
    all
}

/// A table cell: one line, pipes escaped, and `<` outside code spans
/// escaped so that Markdown does not read `<hostname>` as HTML.
fn cell(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ").replace('|', "\\|");
    line.split('`')
        .enumerate()
        .map(|(i, part)| if i % 2 == 0 { part.replace('<', "&lt;") } else { part.to_owned() })
        .collect::<Vec<_>>()
        .join("`")
}

/// The arguments a reader sets: not `--help`/`--version`, not hidden.
fn documented(command: &Command) -> impl Iterator<Item = &Arg> {
    command
        .get_arguments()
        .filter(|arg| !arg.is_hide_set() && !matches!(arg.get_id().as_str(), "help" | "version"))
}

/// `--flag <VALUE>`, `-v, --verbose` or `<FILE>`, as the usage says it.
fn flag(arg: &Arg) -> String {
    let value = || {
        arg.get_value_names()
            .map(|names| names.iter().map(|n| format!("<{n}>")).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|| format!("<{}>", arg.get_id().as_str().to_uppercase()))
    };
    if arg.is_positional() {
        return value();
    }
    let mut text = match (arg.get_short(), arg.get_long()) {
        (Some(short), Some(long)) => format!("-{short}, --{long}"),
        (Some(short), None) => format!("-{short}"),
        (None, long) => format!("--{}", long.unwrap_or_default()),
    };
    if arg.get_action().takes_values() {
        text = format!("{text} {}", value());
    }
    text
}

fn default_of(arg: &Arg) -> String {
    if !arg.get_action().takes_values() {
        return String::new();
    }
    let values: Vec<String> =
        arg.get_default_values().iter().map(|v| v.to_string_lossy().into_owned()).collect();
    values.join(", ")
}

fn help_of(arg: &Arg) -> String {
    let help = arg.get_long_help().or(arg.get_help()).map(|h| h.to_string()).unwrap_or_default();
    let choices: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| format!("`{}`", v.get_name()))
        .collect();
    if choices.is_empty() || !arg.get_action().takes_values() || help.contains("One of") {
        help
    } else {
        format!("{}. One of {}.", help.trim_end_matches('.'), choices.join(", "))
    }
}

const GENERATED: &str = "<!-- Generated from the code by scripts/reference.sh: edit the source, \
                         not this page. -->\n\n";

fn cli_page(root: &Command) -> String {
    let mut page = format!("{GENERATED}# Command-line reference\n\n");
    page += "Every command, its flags, the environment variable that sets a flag (flags win), \
             and the default. `superstore <command> --help` prints the same; `man superstore` \
             reads the pages in `docs/man/`.\n";
    for (name, command) in commands(root, "superstore") {
        let _ = write!(page, "\n## `{name}`\n\n");
        if let Some(about) = command.get_long_about().or(command.get_about()) {
            page += about.to_string().trim_end();
            page += "\n\n";
        }
        let usage = command.clone().render_usage().to_string();
        let _ = write!(page, "```text\n{}\n```\n", usage.trim_start_matches("Usage: ").trim());
        let args: Vec<&Arg> = documented(command)
            .filter(|arg| name == "superstore" || !arg.is_global_set())
            .collect();
        if args.is_empty() {
            continue;
        }
        page += "\n| Flag | Environment | Default | Meaning |\n|---|---|---|---|\n";
        for arg in args {
            let env =
                arg.get_env().map(|e| format!("`{}`", e.to_string_lossy())).unwrap_or_default();
            let default = default_of(arg);
            let default = if default.is_empty() { String::new() } else { format!("`{default}`") };
            let _ = writeln!(
                page,
                "| `{}` | {env} | {default} | {} |",
                cell(&flag(arg)),
                cell(&help_of(arg))
            );
        }
    }
    page
}

fn variables_table(page: &mut String, title: &str, why: &str, variables: &[Variable]) {
    let _ =
        write!(page, "\n## {title}\n\n{why}\n\n| Variable | Default | Meaning |\n|---|---|---|\n");
    for variable in variables {
        let _ = writeln!(
            page,
            "| `{}` | {} | {} |",
            variable.name,
            cell(&variable.default),
            cell(variable.meaning)
        );
    }
}

/// Each flag's variable, with the commands that read it.
fn flag_variables(root: &Command) -> BTreeMap<String, (String, String, Vec<String>, String)> {
    let mut found: BTreeMap<String, (String, String, Vec<String>, String)> = BTreeMap::new();
    for (name, command) in commands(root, "superstore") {
        for arg in documented(command) {
            let Some(env) = arg.get_env() else { continue };
            let entry = found.entry(env.to_string_lossy().into_owned()).or_insert_with(|| {
                let first = help_of(arg).split(". ").next().unwrap_or_default().to_owned();
                (flag(arg), default_of(arg), Vec::new(), first)
            });
            let command = if arg.is_global_set() { "every command".into() } else { name.clone() };
            if !entry.2.contains(&command) {
                entry.2.push(command);
            }
        }
    }
    found
}

fn configuration_page(root: &Command) -> String {
    let mut page = format!("{GENERATED}# Configuration\n\n");
    page += "`superstore` is configured by its flags and by environment variables: each flag \
             below with a variable can be set by either (the flag wins), and the variables of \
             the first tables are read from the environment only. Secrets are only ever read \
             from the environment.\n";
    variables_table(
        &mut page,
        "Where the services are",
        "Set all three to use your own services, or none to use the local stack (started on \
         demand); setting only some is refused, naming the missing ones.",
        &environment::services(),
    );
    variables_table(
        &mut page,
        "Security",
        "TLS and authentication towards Kafka and the registry; a Kafka properties file \
         (`--kafka-properties`) can set the same, and these variables override it.",
        &environment::security(),
    );
    variables_table(
        &mut page,
        "The local stack",
        "Where `superstore up` keeps the stack, its ports (a stack keeps the ports it was \
         created with, in `<home>/ports`; these override them for one command) and the tools \
         it runs.",
        &environment::local_stack(),
    );
    page += "\n## Flags with a variable\n\n| Variable | Flag | Default | Commands | Meaning |\n\
             |---|---|---|---|---|\n";
    for (variable, (flag, default, commands, meaning)) in flag_variables(root) {
        let default = if default.is_empty() { String::new() } else { format!("`{default}`") };
        let commands: Vec<String> = commands
            .iter()
            .map(|c| if c.starts_with("superstore") { format!("`{c}`") } else { c.clone() })
            .collect();
        let _ = writeln!(
            page,
            "| `{variable}` | `{}` | {default} | {} | {} |",
            cell(&flag),
            commands.join(", "),
            cell(&meaning)
        );
    }
    page
}

fn metrics_page() -> String {
    let mut page = format!("{GENERATED}# Metrics\n\n");
    page += "What `superstore run` and `superstore generate` serve on `/metrics` (and the \
             registry on its own port). The names, types and labels are a contract with the \
             dashboards and the alert rules.\n\n| Metric | Type | Labels | Meaning |\n\
             |---|---|---|---|\n";
    let mut row = |name: &str, kind: &str, labels: &[&str], help: &str| {
        let labels: Vec<String> = labels.iter().map(|l| format!("`{l}`")).collect();
        let _ = writeln!(page, "| `{name}` | {kind} | {} | {} |", labels.join(", "), cell(help));
    };
    for metric in metrics::DECLARED {
        row(metric.name, metric.kind.name(), metric.labels, metric.help);
    }
    row(
        registry_metrics::REQUESTS,
        metrics::Kind::Counter.name(),
        &registry_metrics::REQUESTS_LABELS,
        registry_metrics::REQUESTS_HELP,
    );
    let buckets =
        |values: &[f64]| values.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(", ");
    let _ = write!(
        page,
        "\nHistogram buckets: `{}` at {} (seconds), `{}` at {} (records).\n",
        metrics::BATCH_COMMIT_SECONDS,
        buckets(&metrics::BATCH_COMMIT_BUCKETS),
        metrics::BATCH_SIZE,
        buckets(&metrics::BATCH_SIZE_BUCKETS),
    );
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repository() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace").to_path_buf()
    }

    /// With `SUPERSTORE_WRITE_REFERENCE` set, writes the pages instead.
    #[test]
    fn the_committed_reference_pages_are_what_the_code_declares() {
        let root = repository();
        let pages = pages();
        let write = std::env::var_os("SUPERSTORE_WRITE_REFERENCE").is_some();
        let mut stale = Vec::new();
        for (path, text) in &pages {
            let file = root.join(path);
            if write {
                std::fs::create_dir_all(file.parent().unwrap()).unwrap();
                std::fs::write(&file, text).unwrap();
            } else if std::fs::read_to_string(&file).ok().as_deref() != Some(text.as_str()) {
                stale.push(path.display().to_string());
            }
        }
        for entry in std::fs::read_dir(root.join(MAN_DIR)).into_iter().flatten().flatten() {
            let path = Path::new(MAN_DIR).join(entry.file_name());
            if !pages.contains_key(&path) {
                if write {
                    std::fs::remove_file(entry.path()).unwrap();
                } else {
                    stale.push(format!("{} (no such command)", path.display()));
                }
            }
        }
        assert!(
            stale.is_empty(),
            "these pages disagree with the code: {stale:?}. Run scripts/reference.sh and commit \
             what it writes"
        );
    }

    #[test]
    fn every_command_and_every_metric_is_on_its_page() {
        let command = command();
        let cli = cli_page(&command);
        for (name, _) in commands(&command, "superstore") {
            assert!(cli.contains(&format!("## `{name}`")), "{name}");
        }
        assert!(cli.contains("`--until-idle`"), "run's flags are listed");
        let metrics = metrics_page();
        for metric in metrics::DECLARED {
            assert!(metrics.contains(&format!("| `{}` |", metric.name)), "{}", metric.name);
        }
        let configuration = configuration_page(&command);
        for name in ["DATABASE_URL", "SUPERSTORE_HOME", "KAFKA_SASL_PASSWORD", "SUPERSTORE_TOPIC"] {
            assert!(configuration.contains(&format!("| `{name}` |")), "{name}");
        }
    }
}
