#!/usr/bin/env bash
# Apache Superset on the warehouse, with the dashboard bundle of bi/superset/.
#   scripts/superset.sh up        install (first use), migrate and initialise the
#                                 metadata, create the read-only warehouse role and
#                                 the admin, import the bundle (overwriting), serve on
#                                 127.0.0.1:${SUPERSET_PORT:-18088}; idempotent
#   scripts/superset.sh down      stop the server started by `up`
#   scripts/superset.sh status    exit 0 if it answers, 3 if not
#   scripts/superset.sh password  print the admin password
#   scripts/superset.sh install   only install .venv-superset (done by `up` too)
#   scripts/superset.sh browser   install Chromium and its WebDriver when missing (the
#                                 dashboard test drives them; apt-get when root)
# The warehouse is DATABASE_URL when set, else the local stack's; its user must
# be allowed to create roles (the local stack's is). Superset lives in its own
# virtual environment, .venv-superset, from bi/superset/requirements.lock: its
# pins clash with Airflow's. Its state (SQLite metadata, generated secrets of mode
# 0600, pid and log) is under <SUPERSTORE_HOME>/superset.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv-superset"
home="${SUPERSTORE_HOME:-$root/.superstore}/superset"
port="${SUPERSET_PORT:-18088}"
url="http://127.0.0.1:$port"
pid_file="$home/gunicorn.pid"
log="$home/superset.log"
export SUPERSET_HOME="$home" SUPERSET_CONFIG_PATH="$root/bi/superset/superset_config.py"
export DO_NOT_TRACK=1 SCARF_ANALYTICS=false

install_superset() {
  ensure_venv "$venv" "installing Superset into .venv-superset (first use)" \
    "$root/bi/superset/requirements.txt" "$root/bi/superset/requirements.lock"
}

# A secret of this installation: generated once, kept with mode 0600, never printed.
secret() {
  local file="$home/$1"
  [ -s "$file" ] \
    || (umask 077 && "$venv/bin/python" -c 'import secrets; print(secrets.token_urlsafe(32))' > "$file")
  cat "$file"
}

admin_password() {
  if [ -n "${SUPERSET_ADMIN_PASSWORD:-}" ]; then
    printf '%s\n' "$SUPERSET_ADMIN_PASSWORD"
  else
    secret admin_password
  fi
}

browser() {
  command -v chromium >/dev/null && command -v chromedriver >/dev/null && return 0
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null \
    || die "Chromium is missing: install the packages chromium and chromium-driver, then run again"
  say "installing chromium and chromium-driver"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
}

answering() { curl --silent --fail --max-time 5 --output /dev/null "$url/health"; }

running_pid() {
  [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null && cat "$pid_file"
}

initialise_metadata() {
  local stamp="$home/.initialised" version
  version=$("$venv/bin/python" -c 'from importlib.metadata import version; print(version("apache-superset"))')
  say "Superset $version: migrating its metadata database"
  "$venv/bin/superset" db upgrade >> "$log" 2>&1 || die "superset db upgrade failed: see $log"
  # `init` syncs roles and permissions: needed once per version, and slow (10 s).
  if [ "$(cat "$stamp" 2>/dev/null)" != "$version" ]; then
    "$venv/bin/superset" init >> "$log" 2>&1 || die "superset init failed: see $log"
    echo "$version" > "$stamp"
  fi
}

serve() {
  if [ -n "$(running_pid)" ]; then
    say "Superset already runs (pid $(running_pid)); the imported bundle is live"
    return 0
  fi
  answering && die "something else answers on $url: stop it, or choose another SUPERSET_PORT" 3
  say "serving Superset on $url"
  # Its own session, so that `down` stops the gunicorn master and its workers, and nothing else.
  setsid "$venv/bin/gunicorn" --bind "127.0.0.1:$port" --workers 2 --threads 4 --timeout 120 \
    --pid "$pid_file" --access-logfile - --error-logfile - 'superset.app:create_app()' >> "$log" 2>&1 < /dev/null &
  for _ in $(seq 1 120); do
    answering && return 0
    sleep 1
  done
  die "Superset did not answer on $url within 120 s: see $log" 3
}

up() {
  install_superset
  umask 077  # the metadata, secrets and log under $home are this user's only
  mkdir -p "$home" && chmod 700 "$home"
  secret secret_key > /dev/null
  initialise_metadata
  local warehouse
  warehouse=$(superstore_database_url)
  [ -n "$warehouse" ] || die "the local stack gave no DATABASE_URL: start it with superstore up, or set DATABASE_URL" 3
  say "provisioning: read-only warehouse role, admin user, dashboard bundle"
  DATABASE_URL=$warehouse SUPERSET_ADMIN_USER="${SUPERSET_ADMIN_USER:-admin}" \
    SUPERSET_ADMIN_PASSWORD=$(admin_password) SUPERSET_READER_PASSWORD=$(secret reader_password) \
    "$venv/bin/python" "$root/bi/superset/provision.py" 2>> "$log" || die "provisioning failed: see $log"
  serve
  echo "Superset: $url/superset/dashboard/superstore-sales/" \
       "(user ${SUPERSET_ADMIN_USER:-admin}; password: scripts/superset.sh password)"
}

down() {
  local pid
  pid=$(running_pid) || { echo "Superset is not running"; return 0; }
  kill -TERM "$pid"
  for _ in $(seq 1 30); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pid_file"; echo "Superset stopped"; return 0; }
    sleep 1
  done
  die "gunicorn (pid $pid) did not stop within 30 s"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status)
    if answering; then echo "Superset answers on $url"; else echo "Superset does not answer on $url"; exit 3; fi ;;
  password)
    if [ -n "${SUPERSET_ADMIN_PASSWORD:-}" ]; then echo "$SUPERSET_ADMIN_PASSWORD"
    elif [ -s "$home/admin_password" ]; then cat "$home/admin_password"
    else die "no password yet: run scripts/superset.sh up first (or set SUPERSET_ADMIN_PASSWORD)"; fi ;;
  install) install_superset ;;
  browser) browser ;;
  *) echo "usage: scripts/superset.sh up|down|status|password|install|browser" >&2; exit 2 ;;
esac
