#!/usr/bin/env bash
# `npm test`: set up (idempotent), type-check, lint, then every test file with
# node's test runner. Tests start their own Milvus Lite servers and fake services.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "askdocs test: tsc --noEmit" >&2
npx --no-install tsc --noEmit
echo "askdocs test: biome lint" >&2
npx --no-install biome lint src adapters test bench bin
mapfile -t files < <(find test -name '*.test.ts' | sort)
if [ "${#files[@]}" -eq 0 ]; then
  echo "askdocs test: no test files found" >&2
  exit 1
fi
exec node --import tsx --test --test-reporter=spec "${files[@]}"
