#!/usr/bin/env bash
# Runs every test of pare on a fresh machine: installs what the tests need (the Python venv with the
# runtimes we verify against), then builds and runs the whole Swift test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh
bash scripts/setup-venv.sh
swift build --build-tests
swift test --skip-build
