#!/usr/bin/env bash
# The house rules that neither rustfmt nor clippy enforce, checked in CI
# (scripts/test.sh) before the slow suites:
#   - no line of Rust longer than 100 characters (rustfmt leaves long strings
#     and comments alone);
#   - only the `superstore` binary's command line (actors/src/cli, main.rs)
#     uses the local stack crate: the pipeline and the registry never do;
#   - no module cycle and no two files of one name inside a crate
#     (check_module_layout.py says why).
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
long=$(git ls-files '*.rs' | xargs awk 'length > 100 { printf "%s:%d: %d characters\n", FILENAME, FNR, length }')
if [ -n "$long" ]; then
  echo "lines over 100 characters:" >&2
  echo "$long" >&2
  status=1
fi

stray=$(git ls-files '*.rs' | grep -v -e '^actors/src/cli/' -e '^actors/src/main.rs$' -e '^stack/' \
  | xargs grep -l 'superstore_stack' || true)
if [ -n "$stray" ]; then
  echo "only actors/src/cli may use superstore_stack; found in:" >&2
  echo "$stray" >&2
  status=1
fi
python3 scripts/check_module_layout.py || status=1

[ $status -eq 0 ] && echo "style: lines within 100 characters; the local stack stays with the CLI"
exit $status
