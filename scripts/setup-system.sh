#!/usr/bin/env bash
# Installs the Debian -dev packages pare builds against, when they are missing:
#   libopenblas-dev, liblapacke-dev  (BLAS / LAPACK for the reference interpreter and the heavy kernels)
#   zlib1g-dev                       (inflating compressed .npz data sets)
# Idempotent: does nothing when every package is installed. Needs root (or sudo) only when something is missing.
set -euo pipefail

packages=(libopenblas-dev liblapacke-dev zlib1g-dev)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup-system: installing ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then sudo=(); elif command -v sudo >/dev/null 2>&1; then sudo=(sudo); else
    echo "setup-system: error: ${missing[*]} are missing and this user cannot install them; run as root: apt-get install ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq >&2 || echo "setup-system: apt-get update failed; trying the install anyway" >&2
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 \
    || { echo "setup-system: error: apt-get install ${missing[*]} failed (see above)" >&2; exit 1; }
