/**
 * Test support for ingest, retrieval and eval tests: a temp folder holding a few
 * real corpus pages (copied at test time, never into the repo), the real local
 * embedding model (loaded once per test process), and a store on a test Milvus.
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createEmbedder, type Embedder } from '../../src/embeddings/index.ts';
import { type IngestOptions, type IngestSummary, ingestFolder } from '../../src/ingest/ingest.ts';
import { ChunkStore } from '../../src/milvus/store.ts';
import { PACKAGE_ROOT } from '../../src/paths.ts';
import { CORPUS_DIR, testConfig } from '../fakes/config.ts';

/** Copies corpus pages (paths relative to the corpus) into a new temp folder, keeping their sub-folders. */
export async function copyCorpusPages(pages: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'askdocs-docs-'));
  for (const page of pages) {
    await mkdir(dirname(join(dir, page)), { recursive: true });
    await copyFile(resolve(CORPUS_DIR, page), join(dir, page));
  }
  return dir;
}

let embedder: Promise<Embedder> | undefined;

/** The real default embedding model (all-MiniLM-L6-v2-int8 from models/). */
export function testEmbedder(): Promise<Embedder> {
  embedder ??= createEmbedder(testConfig().embedding);
  return embedder;
}

export function connectStore(address: string, collection: string): Promise<ChunkStore> {
  return ChunkStore.connect({ address, collection });
}

/** Ingests with the default chunking settings, as `askdocs ingest` would; `overrides` replace any of them. */
export async function ingestWithDefaults(dir: string, store: ChunkStore, overrides: Partial<IngestOptions> = {}): Promise<IngestSummary> {
  const config = testConfig();
  return ingestFolder({
    dir,
    store,
    embedder: await testEmbedder(),
    maxChars: config.ingest.chunkMaxChars,
    overlapChars: config.ingest.chunkOverlapChars,
    batchSize: config.embedding.batchSize,
    ...overrides,
  });
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `bin/askdocs.js` against a test Milvus server, with a clean environment
 * (never the developer's .env: cwd is a temp folder). `killWhen` is checked on every
 * stderr write; when it returns true the child gets SIGKILL (no cleanup at all), or
 * `killSignal`; with `processGroup`, its whole process group gets it, as from a
 * terminal's Ctrl-C (an embedded engine it started too).
 */
export function runCli(
  args: string[],
  env: Record<string, string>,
  options: {
    killWhen?: (stderr: string) => boolean;
    killSignal?: NodeJS.Signals;
    processGroup?: boolean;
    cwd?: string;
    uid?: number;
    gid?: number;
  } = {},
): Promise<CliRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [resolve(PACKAGE_ROOT, 'bin/askdocs.js'), ...args], {
      cwd: options.cwd ?? tmpdir(),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: options.processGroup === true,
      ...(options.uid !== undefined ? { uid: options.uid, gid: options.gid } : {}),
    });
    let signalled = false;
    const kill = () => {
      signalled = true;
      const signal = options.killSignal ?? 'SIGKILL';
      if (options.processGroup && child.pid) process.kill(-child.pid, signal);
      else child.kill(signal);
    };
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => {
      stdout += data.toString();
    });
    child.stderr.on('data', (data: Buffer) => {
      stderr += data.toString();
      if (options.killWhen?.(stderr) && child.exitCode === null && !signalled) kill();
    });
    child.once('error', reject);
    child.once('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}
