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
# LocalStack 4.14 uses Python 3.12 syntax (PEP 695 generics) although its metadata says >=3.10:
# on 3.11 its S3 and SQS providers fail to import and answer 500. Take the newest 3.12+ there is.
python=""
for candidate in python3.13 python3.12 "$HOME"/.pyenv/versions/3.13*/bin/python3 "$HOME"/.pyenv/versions/3.12*/bin/python3 python3; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
    python=$candidate
    break
  fi
done
if [ -z "$python" ]; then
  echo "error: the test virtualenv needs Python 3.12 or newer (LocalStack 4.14); none found on PATH or in ~/.pyenv" >&2
  exit 1
fi
echo "setting up .venv with $("$python" --version) (LocalStack, PyIceberg, DuckDB) from $lock" >&2
rm -rf .venv
"$python" -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check --no-deps -r "$lock"
.venv/bin/pip check >&2
echo "$want" > "$stamp"
