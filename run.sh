#!/usr/bin/env bash
# Set up the project's virtual environment and run the demo or the test suite.
#
#   ./run.sh demo [sgl demo options]    the main job on generated data
#   ./run.sh test [pytest options]      the whole test suite
#
# Both create .venv on first use and refresh it whenever pyproject.toml or
# constraints.txt changes. SGL_PYTHON names a Python interpreter to use (3.11 or newer).
set -euo pipefail

cd "$(dirname "$0")"
VENV=.venv

fail() {
  printf 'run.sh: %s\n' "$1" >&2
  exit 1
}

find_python() {
  local candidate
  for candidate in "${SGL_PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$candidate" ] || continue
    command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      printf '%s' "$candidate"
      return 0
    fi
  done
  return 1
}

check_prerequisites() {
  local python=$1
  "$python" -c 'import venv, ensurepip' 2>/dev/null \
    || fail "Python's venv module is missing. On Debian or Ubuntu: apt-get install python3-venv"
  # WeasyPrint, which renders the PDF report, loads Pango through its C library.
  "$python" - <<'PY' || fail "Pango is missing: the PDF report needs it. On Debian or Ubuntu: apt-get install libpango-1.0-0 libpangoft2-1.0-0; on macOS: brew install pango"
import ctypes.util, sys
sys.exit(0 if ctypes.util.find_library("pango-1.0") and ctypes.util.find_library("pangoft2-1.0") else 1)
PY
}

ensure_venv() {
  local python extras stamp
  extras=$1
  python=$(find_python) || fail "Python 3.11 or newer not found. Install it, or set SGL_PYTHON to its path."
  check_prerequisites "$python"

  stamp="$extras $(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)"
  if [ ! -x "$VENV/bin/python" ]; then
    printf 'Creating %s with %s\n' "$VENV" "$("$python" --version)" >&2
    "$python" -m venv "$VENV"
  fi
  if [ "$(cat "$VENV/.sgl-stamp" 2>/dev/null)" != "$stamp" ]; then
    printf 'Installing dependencies into %s\n' "$VENV" >&2
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -c constraints.txt -e ".$extras"
    printf '%s' "$stamp" > "$VENV/.sgl-stamp"
  fi
}

command=${1:-}
[ $# -gt 0 ] && shift
case "$command" in
  demo)
    ensure_venv "[dev]"
    exec "$VENV/bin/sgl" demo "$@"
    ;;
  test)
    ensure_venv "[dev]"
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  *)
    printf 'Usage: ./run.sh demo [options] | ./run.sh test [pytest options]\n' >&2
    exit 2
    ;;
esac
