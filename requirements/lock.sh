#!/usr/bin/env bash
# Pin each requirements set in a throwaway venv: production alone, then development on top of it,
# then bench on top of both. Each lock lists only what its set adds, so one version of a package
# serves every set. Usage: requirements/lock.sh PYTHON
set -euo pipefail
cd "$(dirname "$0")"
python=$1
work=$(mktemp -d)
venv=$work/venv
"$python" -m venv "$venv"
pip() { "$venv/bin/pip" --disable-pip-version-check --quiet "$@"; }
freeze() { "$venv/bin/pip" freeze --exclude-editable; }
header() { echo "# Exact pins of what $1.in adds (with everything it pulls in). Regenerate with: make lock"; }

pip install -r production.in
freeze > $work/lock.production
{ header production; cat $work/lock.production; } > production.lock

pip install -c production.lock -r development.in
freeze | grep -vxF -f $work/lock.production > $work/lock.development
{ header development; cat $work/lock.development; } > development.lock

pip install -c production.lock -c development.lock -r bench.in
freeze | grep -vxF -f $work/lock.production -f $work/lock.development > $work/lock.bench
{ header bench; cat $work/lock.bench; } > bench.lock
rm -rf "$work"
