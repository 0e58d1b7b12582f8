#!/usr/bin/env bash
# Builds a true dynamic-int8 all-MiniLM-L6-v2 next to the shipped one:
#   scripts/embedders/quantize_minilm.sh models/all-MiniLM-L6-v2 models/all-MiniLM-L6-v2-int8
# Use it with EMBEDDING_MODEL=all-MiniLM-L6-v2-int8 (a different model name, so a
# collection filled with the fp32-compute graph must be re-ingested).
# onnx and onnxruntime are pinned and installed into a throwaway venv; the input and
# output hashes are checked by quantize_minilm.py, so the result is the same everywhere.
set -euo pipefail
src="$1" dest="$2"
PYTHON="${PYTHON:-python3}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$PYTHON" -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install --quiet --disable-pip-version-check onnx==1.23.2 onnxruntime==1.31.1 >&2
mkdir -p "$tmp/out/onnx"
"$tmp/venv/bin/python" "$(dirname "$0")/quantize_minilm.py" "$src/onnx/model_quantized.onnx" "$tmp/out/onnx/model_quantized.onnx" 2>&1 \
  | grep -v 'pre-processing before quantization' >&2
cp "$src"/*.json "$tmp/out/"
rm -rf "$dest.part" && cp -r "$tmp/out" "$dest.part" && rm -rf "$dest" && mv "$dest.part" "$dest"
