#!/usr/bin/env bash
# Builds the book (docs/, an mdBook) into target/book, then checks that every internal link of
# the book, the README and CONTRIBUTING.md leads to a page that exists and to a heading that
# page has: mdBook warns of a missing page only in SUMMARY.md, and never of a broken anchor.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v mdbook >/dev/null || PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
command -v mdbook >/dev/null || { echo "book: mdbook is missing: run ./scripts/setup.sh" >&2; exit 1; }

mdbook build docs
python3 scripts/check_book_links.py
