#!/usr/bin/env bash
# Creates (or refreshes) the Python virtual environment that pare's check scripts and tests use, and prints
# the path of its python on standard output (everything else goes to standard error).
#
#   scripts/setup-venv.sh            # venv at <repo>/.venv
#   PARE_VENV=/some/dir scripts/setup-venv.sh
#
# Idempotent: when the venv's stamp file holds the hash of scripts/requirements.txt (and of the interpreter
# version), nothing is done. Works on a fresh Debian machine: when `python3 -m venv` fails (Debian ships venv
# in a separate package) and we are root, python3-venv is installed with apt-get and the venv is made again.
# Concurrent runs are serialized with flock when it is available.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${PARE_VENV:-$root/.venv}"
req="$root/scripts/requirements.txt"
python="${PARE_PYTHON:-python3}"
stamp="$venv/.pare-requirements.sha256"

log() { echo "setup-venv: $*" >&2; }
die() { echo "setup-venv: error: $*" >&2; exit 1; }

[ -f "$req" ] || die "missing $req"
command -v "$python" >/dev/null 2>&1 || die "'$python' not found; install Python 3 (apt-get install python3 python3-venv) or set PARE_PYTHON"

want="$( { cat "$req"; "$python" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)"

up_to_date() { [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; }

if up_to_date; then echo "$venv/bin/python"; exit 0; fi

mkdir -p "$(dirname "$venv")"
if command -v flock >/dev/null 2>&1; then
    # The lock lives outside the repo (and outside the venv, which may be removed and made again).
    exec 9>"${TMPDIR:-/tmp}/pare-venv-$(printf '%s' "$venv" | sha256sum | cut -c1-16).lock"
    flock 9
    # Another run may have finished the work while we waited.
    if up_to_date; then echo "$venv/bin/python"; exit 0; fi
fi

make_venv() { "$python" -m venv "$venv" >&2; }

if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
    rm -rf "$venv"
    log "creating $venv with $("$python" --version 2>&1)"
    if ! make_venv; then
        rm -rf "$venv"
        if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
            log "'$python -m venv' failed; installing python3-venv with apt-get"
            DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >&2
            make_venv || die "'$python -m venv $venv' still fails after installing python3-venv"
        else
            die "'$python -m venv' failed; install the python3-venv package (as root: apt-get install python3-venv)"
        fi
    fi
fi

log "installing $(grep -cvE '^\s*(#|$)' "$req") pinned packages from $req"
"$venv/bin/python" -m pip install --disable-pip-version-check --no-input -q -r "$req" >&2 \
    || die "pip install -r $req failed (see above); check the network access to PyPI and the pinned versions"
"$venv/bin/python" -c 'import numpy, safetensors' >&2 || die "the venv cannot import numpy and safetensors"
echo "$want" > "$stamp"
echo "$venv/bin/python"
