#!/usr/bin/env bash
# The Quickstart's first command: set up, ingest askdocs' own docs into an
# embedded Milvus Lite, and answer a question about them. No API key needed
# (without DEEPSEEK_API_KEY the answer is extractive: the best passages, cited).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
question="${1:-How do I use a Milvus server instead of Milvus Lite?}"
npx --no-install askdocs ingest docs
echo
echo "\$ askdocs ask \"$question\""
npx --no-install askdocs ask "$question"
