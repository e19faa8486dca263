# shellcheck shell=bash
# Sourced, never executed: `. "$(dirname "$0")/lib.sh"` at the top of a script.
# The steps several scripts share live here once, so that they behave and word
# their errors alike everywhere:
#   - say, die: progress lines and fatal errors, named after the script;
#   - superstore_database_url: DATABASE_URL when set, else the local stack's;
#   - require_venv_tool: a tool of the project's .venv, or how to install it;
#   - ensure_venv: a virtual environment with a locked set of packages,
#     installed again only when the lock changes.
# Defines functions and superstore_root (the repository), and runs nothing.

superstore_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# The version of uv that installs every locked environment of the project.
uv_version=0.13.8

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# die MESSAGE [EXIT CODE]: MESSAGE on stderr after the script's name; exit 1 by default.
die() { printf '%s: %s\n' "${0##*/}" "$1" >&2; exit "${2:-1}"; }

# The DATABASE_URL that `superstore env` exports for the local stack. eval: the
# secure stack's URL is quoted (it holds `?` and `&`). Fails when the stack has
# not been started: `superstore env` says so, and exports no DATABASE_URL.
local_stack_database_url() {
  (eval "$("$superstore_root/target/release/superstore" env)" && printf '%s\n' "$DATABASE_URL")
}

# The warehouse a script works on: DATABASE_URL when set, else the local
# stack's. Without either, it names both ways to give one.
superstore_database_url() {
  if [ -n "${DATABASE_URL:-}" ]; then
    printf '%s\n' "$DATABASE_URL"
    return
  fi
  [ -x "$superstore_root/target/release/superstore" ] \
    || die "DATABASE_URL is unset and target/release/superstore is missing: "\
"run ./scripts/setup.sh, or set DATABASE_URL"
  local_stack_database_url
}

# require_venv_tool NAME: .venv/bin/NAME is there (scripts/setup.sh installs
# it), or exit 1 saying how to install it.
require_venv_tool() {
  [ -x "$superstore_root/.venv/bin/$1" ] \
    || die ".venv/bin/$1 is missing: run ./scripts/setup.sh first"
}

# venv_with_uv DIR: a virtual environment in DIR (created when missing) with uv in it.
venv_with_uv() {
  [ -x "$1/bin/python" ] || python3 -m venv "$1"
  "$1/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$uv_version"
}

# ensure_venv DIR MESSAGE REQUIREMENTS LOCK: DIR holds exactly the packages of
# LOCK (resolved from REQUIREMENTS). A stamp in DIR (.requirements.sha256,
# which scripts/airflow.sh reads too) records the files it was installed
# from, so that the install, and MESSAGE, happen only when one of them changed.
ensure_venv() {
  local venv=$1 message=$2 requirements=$3 lock=$4
  local stamp="$venv/.requirements.sha256" wanted
  # The install's options are part of the stamp: a venv installed without them is redone.
  local install_options="--compile-bytecode"
  wanted=$( (cat "$requirements" "$lock"; echo "$install_options") | sha256sum | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
    return 0
  fi
  say "$message"
  venv_with_uv "$venv"
  # uv installs the locked set in seconds where pip takes minutes. Bytecode compiled now, not
  # at each start: where PYTHONDONTWRITEBYTECODE is set (many images set it) Python never
  # caches it, and every dbt command compiled dbt again.
  "$venv/bin/uv" pip install --quiet --python "$venv/bin/python" $install_options -r "$lock"
  echo "$wanted" > "$stamp"
}
