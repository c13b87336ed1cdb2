#!/usr/bin/env bash
# Builds pare (release) and runs the demo recipes: a synthetic safetensors transformer for two CPUs, and an ONNX
# CNN for two NPUs and a CPU (and, made smaller first by fold → channel pruning → distill → gptq, for two CPUs)
# whose bundles are then run in ONNX Runtime against the float model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh
bash scripts/setup-venv.sh
PY="${PARE_VENV:-.venv}/bin/python"
swift build -c release --product pare
PARE=.build/release/pare
mkdir -p models
[ -f models/demo.safetensors ] || "$PARE" fixture --out models/demo.safetensors --layers 4 --width 256 --vocab 4096 --seed 1
[ -f models/cnn.calib.npz ] || "$PY" scripts/onnx_fixtures.py models --only cnn > /dev/null
"$PARE" validate recipes/demo.yaml recipes/cnn-npu.yaml recipes/cnn-compact.yaml
"$PARE" plan recipes/demo.yaml
"$PARE" build recipes/demo.yaml recipes/cnn-npu.yaml recipes/cnn-compact.yaml
echo "--- a second build reuses everything:"
"$PARE" build recipes/demo.yaml recipes/cnn-npu.yaml recipes/cnn-compact.yaml
echo "--- one safetensors bundle:"
"$PARE" inspect dist/demo/arm64-cortex-a78/model.safetensors | sed -n 1,8p   # sed reads all: no SIGPIPE under pipefail
echo "--- the Hexagon bundle in ONNX Runtime, against the float model:"
"$PY" scripts/check_onnx.py --reference models/cnn.onnx --candidate dist/cnn-npu/qualcomm-hexagon-v73/model.onnx --seed 1 --samples 8
echo "--- the pruned, re-fitted, GPTQ int8 CNN in ONNX Runtime, against the float model:"
"$PY" scripts/check_onnx.py --reference models/cnn.onnx --candidate dist/cnn-compact/x86-64-avx2/model.onnx --seed 1 --samples 8
