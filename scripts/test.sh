#!/usr/bin/env bash
# `npm test`: set up (idempotent), type-check, lint and format check, then every test file with
# node's test runner. Tests start their own Milvus Lite servers and fake services.
set -euo pipefail
cd "$(dirname "$0")/.."
# Set-up also builds the CLI from the sources as they are (bin/build-cli.js): the tests' CLI
# child processes (about 100) then skip tsx, about 1.9 s less CPU each; a stale or missing
# build only makes them slower, and test/cli-launcher.test.ts runs both ways.
bash scripts/setup.sh
# The HTML gaps report test drives Debian's chromium: install it when missing and we
# can (root with apt-get, as in CI); otherwise that one test skips and says why.
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "askdocs test: installing chromium for the HTML report test" >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } ||
    echo "askdocs test: could not install chromium; the HTML report test will skip" >&2
fi
# The shared-state tests (several replicas, one Redis) start private redis-server
# processes: install Debian's redis-server the same way; without it they skip and say why.
if ! command -v redis-server >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "askdocs test: installing redis-server for the shared-state tests" >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; } ||
    echo "askdocs test: could not install redis-server; the shared-state tests will skip" >&2
fi
if ! command -v redis-server >/dev/null 2>&1; then
  echo "askdocs test: redis-server is missing (apt-get install redis-server): the shared-state tests will skip" >&2
fi
# Several test processes run at once, and each embedding model would otherwise start one
# thread per core: one thread apiece keeps them from oversubscribing the machine
# (BENCHMARKS.md, "Embedding threads").
export EMBEDDING_THREADS="${EMBEDDING_THREADS:-1}"
# The Milvus FAQ pages several test files answer from: ingested once for the whole run,
# beside the type check and lint, and copied by each of those files (startFaqMilvus in
# test/support/milvus.ts) instead of each embedding them again.
scratch="$(mktemp -d "${TMPDIR:-/tmp}/askdocs-test-XXXXXX")"
node --import tsx test/support/faq-index.ts "$scratch/faq" >"$scratch/faq-index.log" 2>&1 &
faq_index=$!
# Stop the build if the checks below fail first; once it has been waited for, its pid is
# forgotten (never signal a pid that may since belong to another process).
trap '[ -z "$faq_index" ] || kill "$faq_index" 2>/dev/null || true; rm -rf "$scratch"' EXIT
echo "askdocs test: tsc --noEmit" >&2
npx --no-install tsc --noEmit
echo "askdocs test: biome check (lint, format, import order)" >&2
npx --no-install biome check src adapters test bench bin
faq_status=0
wait "$faq_index" || faq_status=$?
faq_index=
if [ "$faq_status" -ne 0 ]; then
  echo "askdocs test: building the shared FAQ index failed:" >&2
  cat "$scratch/faq-index.log" >&2
  exit 1
fi
# Absent when the corpus is: the tests that need it skip.
if [ -f "$scratch/faq/milvus.db" ]; then
  export ASKDOCS_TEST_FAQ_DB="$scratch/faq/milvus.db"
fi
# Longest first, by the wall times recorded in test/support/file-weights.txt: a long file
# started late is what a parallel run waits for at its end (a file not listed goes first;
# equal weights keep the name order).
mapfile -t files < <(find test -name '*.test.ts' | sort | awk '
  BEGIN { while ((getline line < "test/support/file-weights.txt") > 0) if (line ~ /^[0-9]/) { split(line, f, " "); weight[f[2]] = f[1] } }
  { print (($0 in weight) ? weight[$0] : 1000000) "\t" NR "\t" $0 }' | sort -t "$(printf '\t')" -k1,1nr -k2,2n | cut -f3)
if [ "${#files[@]}" -eq 0 ]; then
  echo "askdocs test: no test files found" >&2
  exit 1
fi
# Test files run in parallel, each in its own process: much of a file's time is spent
# waiting (engine start-up, child processes, fake servers, timeouts), not computing, so
# several at once finish sooner even on 2 cores. Node's default (cores - 1) is 1 there.
# On 2 cores 3 at a time already kept the CPUs about 90% busy (~820 CPU seconds in a
# ~460 s run, measured while the CLI's child processes still ran through tsx); 5 measured no
# faster (468 s) and costs more CPU in contention.
# ASKDOCS_TEST_CONCURRENCY overrides it (1 runs the files one at a time).
# ASKDOCS_TEST_WEIGHTS_OUT=<file> also writes each file's wall time there (the format of
# test/support/file-weights.txt).
reporters=(--test-reporter=spec --test-reporter-destination=stdout)
if [ -n "${ASKDOCS_TEST_WEIGHTS_OUT:-}" ]; then
  reporters+=(--test-reporter="$PWD/test/support/weights-reporter.mjs" --test-reporter-destination="$ASKDOCS_TEST_WEIGHTS_OUT")
fi
node --import tsx --test --test-concurrency="${ASKDOCS_TEST_CONCURRENCY:-3}" "${reporters[@]}" "${files[@]}"
