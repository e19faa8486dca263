#!/usr/bin/env bash
# Writes the generated references again after a change to what they
# describe: the command-line reference, the configuration and metrics pages
# of the book (docs/src/reference/) and the man pages (docs/man/). They come
# from the clap definitions, the declared environment variables and the
# declared metrics; the test that holds the committed pages to the code runs
# in ./scripts/test.sh and names this script when they disagree.
set -euo pipefail
cd "$(dirname "$0")/.."
SUPERSTORE_WRITE_REFERENCE=1 cargo test --release --locked --quiet --bin superstore \
  reference_pages
git status --short docs/src/reference docs/man
