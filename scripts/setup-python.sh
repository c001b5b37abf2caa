#!/usr/bin/env bash
# Creates the project-local virtualenv (.venv) with LocalStack and the Iceberg readers used by
# the tests. Idempotent: does nothing when .venv already matches requirements.lock.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
lock=test/python/requirements.lock.txt
stamp=.venv/.astha-lock.sha256
want=$(sha256sum "$lock" | cut -d' ' -f1)
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "setting up .venv (LocalStack, PyIceberg, DuckDB) from $lock" >&2
python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check --no-deps -r "$lock"
.venv/bin/pip check >&2
echo "$want" > "$stamp"
