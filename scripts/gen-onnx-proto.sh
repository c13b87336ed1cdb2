#!/usr/bin/env bash
# Regenerates Sources/PareONNXProto/onnx.pb.swift, the Swift bindings for ONNX's onnx.proto (proto2).
#
#   scripts/gen-onnx-proto.sh
#
# Steps (each skipped when already done, so running it twice is cheap and changes nothing):
#   1. protoc: taken from PATH; when missing and we are root, installed from Debian's protobuf-compiler.
#   2. protoc-gen-swift: built in release mode from the swift-protobuf tag pinned in Package.swift, in a scratch
#      folder outside the repository ($PARE_PROTOC_GEN_SWIFT_DIR, default /tmp/protoc-gen-swift-build; ~2 min the
#      first time). The source is the local mirror /opt/swift-packages/apple/swift-protobuf.git when present,
#      else GitHub. The package's build plugin is not used (its vendored protoc build is very slow).
#   3. onnx.proto: taken from the onnx package of the repo venv (scripts/setup-venv.sh; onnx is pinned in
#      scripts/requirements.txt). The proto2 file is used on purpose: bindings from it re-serialize models
#      byte-identically, proto3 bindings do not.
#   4. protoc --swift_out with public visibility; the result replaces the committed file only when it differs.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/Sources/PareONNXProto/onnx.pb.swift"
build_dir="${PARE_PROTOC_GEN_SWIFT_DIR:-/tmp/protoc-gen-swift-build}"

log() { echo "gen-onnx-proto: $*" >&2; }
die() { echo "gen-onnx-proto: error: $*" >&2; exit 1; }

# --- 1. protoc ---------------------------------------------------------------------------------------------
if ! command -v protoc >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        log "installing protoc (Debian protobuf-compiler)"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq protobuf-compiler >&2
    else
        die "protoc not found; install it (apt-get install protobuf-compiler) and run again"
    fi
fi
log "using $(protoc --version)"

# --- 2. protoc-gen-swift -------------------------------------------------------------------------------------
version="$(sed -nE 's|.*swift-protobuf", exact: "([0-9.]+)".*|\1|p' "$root/Package.swift" | head -1)"
[ -n "$version" ] || die "cannot find the pinned swift-protobuf version in Package.swift"
plugin="$build_dir/.build/release/protoc-gen-swift"
if [ ! -x "$plugin" ] || [ "$(git -C "$build_dir" describe --tags --exact-match 2>/dev/null)" != "$version" ]; then
    source_repo=/opt/swift-packages/apple/swift-protobuf.git
    [ -d "$source_repo" ] || source_repo=https://github.com/apple/swift-protobuf.git
    log "building protoc-gen-swift $version from $source_repo in $build_dir (takes a few minutes)"
    rm -rf "$build_dir"
    git clone -q --branch "$version" "$source_repo" "$build_dir" 2>/dev/null \
        || die "cannot clone swift-protobuf $version from $source_repo"
    (cd "$build_dir" && swift build -c release --product protoc-gen-swift >&2) || die "building protoc-gen-swift failed (see above)"
fi
[ -x "$plugin" ] || die "protoc-gen-swift missing after the build: $plugin"

# --- 3. onnx.proto from the venv -----------------------------------------------------------------------------
python="$(bash "$root/scripts/setup-venv.sh")"
proto="$("$python" -c 'import onnx, os; print(os.path.join(os.path.dirname(onnx.__file__), "onnx.proto"))')"
[ -f "$proto" ] || die "the venv's onnx package has no onnx.proto ($proto)"
log "generating from $proto (onnx $("$python" -c 'import onnx; print(onnx.__version__)'))"

# --- 4. generate ---------------------------------------------------------------------------------------------
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cp "$proto" "$tmp/onnx.proto"
mkdir "$tmp/out"
(cd "$tmp" && protoc --plugin=protoc-gen-swift="$plugin" --swift_out="$tmp/out" \
    --swift_opt=Visibility=Public -I . onnx.proto) || die "protoc failed (see above)"
[ -f "$tmp/out/onnx.pb.swift" ] || die "protoc produced no onnx.pb.swift"
if [ -f "$out" ] && cmp -s "$tmp/out/onnx.pb.swift" "$out"; then
    log "$out is up to date"
else
    mkdir -p "$(dirname "$out")"
    cp "$tmp/out/onnx.pb.swift" "$out"
    log "wrote $out ($(wc -l < "$out") lines)"
fi
rm -f "$root/Sources/PareONNXProto/Placeholder.swift"
