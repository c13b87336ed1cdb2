#!/usr/bin/env bash
# Model passes on a layer-sized model: the 95 MB `big-transformer` fixture (d 768, MLP 3072, vocab 6144) with 32
# seeded calibration samples, built from a cold cache with --jobs 1 and --jobs N (default: the cores), median wall
# time of REPEATS (default 3) builds, and the bundle's sha256 (the same for every --jobs).
#   usage: scripts/bench_model_passes.sh [REPEATS] [N]
set -euo pipefail
cd "$(dirname "$0")/.."
REPEATS="${1:-3}"
JOBS="${2:-$(nproc)}"
PY="${PARE_VENV:-.venv}/bin/python"
swift build -c release --product pare > /dev/null
PARE="$PWD/.build/release/pare"
W="${TMPDIR:-/tmp}/pare-bench-model-passes"
mkdir -p "$W/recipes"
[ -f "$W/big-transformer.onnx" ] || "$PY" scripts/onnx_fixtures.py "$W" --only big-transformer > /dev/null
"$PY" - "$W/calib.npz" <<'PYEOF'
import sys, numpy as np
rng = np.random.default_rng(0)
np.savez(sys.argv[1], **{"%04d.input_ids" % i: rng.integers(0, 6144, size=(1, 16)).astype(np.int64) for i in range(32)})
PYEOF
ln -sfn "$PWD/targets" "$W/targets"
recipe() {
  printf 'recipe: %s\nmodel: { path: ../big-transformer.onnx }\ndata:\n  calibration: { path: ../calib.npz, samples: 32 }\ntargets: [x86-64-avx2]\npasses:\n%s\n' "$1" "$2" > "$W/recipes/$1.yaml"
}
recipe gptq-int4 "  - gptq: { weights: { dtype: int4, granularity: per-group, group: 32 } }"
recipe lowrank-distill "  - lowrank: { ratio: 0.25 }
  - distill"
recipe lowrank-distill-gptq "  - lowrank: { ratio: 0.25 }
  - distill
  - gptq: { weights: { dtype: int4, granularity: per-group, group: 32 } }"
cd "$W"
echo "| recipe | --jobs 1: s | --jobs $JOBS: s | speed-up | bundle sha256 (both) |"
echo "| --- | --- | --- | --- | --- |"
for r in gptq-int4 lowrank-distill lowrank-distill-gptq; do
  declare -A median
  declare -A sha
  for j in 1 "$JOBS"; do
    times=()
    for _ in $(seq "$REPEATS"); do
      rm -rf cache dist
      start=$(date +%s.%N)
      "$PARE" build "recipes/$r.yaml" --jobs "$j" > /dev/null 2>&1
      end=$(date +%s.%N)
      times+=("$(awk "BEGIN { print $end - $start }")")
    done
    median[$j]=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (REPEATS + 1) / 2 ))p")
    sha[$j]=$(cat dist/"$r"/x86-64-avx2/model.onnx dist/"$r"/x86-64-avx2/manifest.json | sha256sum | cut -c1-16)
  done
  same=$([ "${sha[1]}" = "${sha[$JOBS]}" ] && echo "${sha[1]}" || echo "DIFFERENT: ${sha[1]} ${sha[$JOBS]}")
  printf '| %s | %.2f | %.2f | %.2f× | %s |\n' "$r" "${median[1]}" "${median[$JOBS]}" "$(awk "BEGIN { print ${median[1]} / ${median[$JOBS]} }")" "$same"
done
