#!/usr/bin/env bash
# The Diesel schema (database/src/schema/*.rs) is generated from migrations/:
# this script applies the migrations to a scratch database and runs
# `diesel print-schema` (settings in diesel.toml) on it.
#
#   scripts/schema.sh           write the generated files (after adding a migration)
#   scripts/schema.sh --check   fail, with the difference, if the committed files
#                               are not what the migrations give (CI runs this)
#
# The scratch database lives on the server of DATABASE_URL, or of the local
# stack (which must be up), and is dropped at the end. The diesel CLI is
# installed on first use under target/tools.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."

DIESEL_CLI_VERSION=2.3.14
tools=target/tools
diesel=$tools/bin/diesel

mode=write
case "${1:-}" in
  --check) mode=check ;;
  "") ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

if ! "$diesel" --version 2>/dev/null | grep -q "$DIESEL_CLI_VERSION"; then
  printf '\033[1m==> installing the diesel CLI %s into %s (first use only)\033[0m\n' "$DIESEL_CLI_VERSION" "$tools" >&2
  cargo install --quiet --locked diesel_cli --version "$DIESEL_CLI_VERSION" \
    --no-default-features --features postgres --root "$tools"
fi

base_url=$(superstore_database_url)
[ -n "$base_url" ] || die "no DATABASE_URL and no local stack (run superstore up)" 3

scratch_name="schema_check_$$"
# Another database of the same server; the query (sslmode=…&sslrootcert=/path) stays.
server_url=${base_url%%\?*} query=""
case $base_url in *\?*) query="?${base_url#*\?}" ;; esac
scratch_url="${server_url%/*}/$scratch_name$query"
out=$(mktemp -d)
cleanup() {
  psql "$base_url" -q -c "drop database if exists $scratch_name with (force)" >/dev/null 2>&1 || true
  rm -rf "$out"
}
trap cleanup EXIT

# The same settings, writing into the scratch folder.
sed "s#file = \"database/src/schema/#file = \"$out/#" diesel.toml > "$out/diesel.toml"
"$diesel" database setup --database-url "$scratch_url" --config-file "$out/diesel.toml" \
  --migration-dir migrations >/dev/null

status=0
for generated in "$out"/*.rs; do
  committed=database/src/schema/$(basename "$generated")
  if [ "$mode" = write ]; then
    cp "$generated" "$committed"
    echo "wrote $committed"
  elif ! diff -u "$committed" "$generated"; then
    echo "$committed is not what migrations/ gives: run scripts/schema.sh and commit the result" >&2
    status=1
  fi
done
[ "$mode" = write ] || [ $status -ne 0 ] || echo "database/src/schema matches migrations/"
exit $status
