#!/usr/bin/env bash
# The full test suite, as CI runs it: every optional component present and required.
#
#   bash scripts/test.sh [ARGS...]     # ARGS go to `cargo test --workspace --locked`
#
# `cargo test --workspace` alone needs only Rust: the tests that need Chromium (the HTML
# report's browser test) or a PostgreSQL server (the job store, the service's kill test) say on
# stderr that they did not run. This script provides both and sets L2X_CI=1, under which a
# missing component fails those tests instead:
# - Chromium: found on the PATH, or installed from the distribution (Debian/Ubuntu: apt-get;
#   needs root or sudo);
# - PostgreSQL: L2X_TEST_DATABASE_URL if set; else the local server on 127.0.0.1:5432, started
#   (pg_ctlcluster) if it is installed and down, as the current user, database `test` (each test
#   creates and drops a database of its own there).
# Run it before a pull request.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "scripts/test.sh: installing Chromium (apt-get install chromium)" >&2
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "scripts/test.sh: Chromium is missing and this is no Debian system: install it" >&2
    exit 1
  fi
fi

if [ -z "${L2X_TEST_DATABASE_URL:-}" ]; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
      echo "scripts/test.sh: starting PostgreSQL" >&2
      as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
    else
      echo "scripts/test.sh: no PostgreSQL on 127.0.0.1:5432 and none installed here:" \
        "install one, or set L2X_TEST_DATABASE_URL" >&2
      exit 1
    fi
  fi
  export L2X_TEST_DATABASE_URL="postgres://$(id -un)@127.0.0.1:5432/test"
fi

export L2X_CI=1
exec cargo test --workspace --locked "$@"
