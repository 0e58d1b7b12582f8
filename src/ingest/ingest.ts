/**
 * Incremental ingest of a docs folder into the chunk store.
 *
 * Chunk ids are content hashes (document.ts), so the store itself is the record of
 * what is done: a chunk whose id is already stored is not written again, and one whose
 * id is new but whose text its file's old chunks had keeps that vector. For each
 * file, new chunks are upserted first and its stale ids deleted only afterwards, so
 * a question asked mid-ingest never finds a page missing; files gone from the folder
 * are dropped at the end. An ingest killed at any point is completed by running it
 * again: ids are deterministic and upsert is idempotent, so nothing is duplicated.
 */

import { escapeControlChars } from '../control-chars.ts';
import type { Embedder } from '../embeddings/index.ts';
import { AskdocsError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { type ChunkStore, MAX_PATH_BYTES } from '../milvus/store.ts';
import type { AskdocsMetrics } from '../observability/metrics.ts';
import { counted, listed } from '../plural.ts';
import { type PreparedChunk, prepareDocument } from './document.ts';
import { includesOf, resolveIncludes } from './includes.ts';
import { mkdocsNavTitles } from './mkdocs-nav.ts';
import { parseFailure, readDocument } from './read.ts';
import { DOCUMENT_EXTENSIONS, scanFolder, unreadFormat } from './scan.ts';
import { resolveSnippets, snippetReader, snippetsOf } from './snippets.ts';

export type IngestStore = Pick<
  ChunkStore,
  | 'exists'
  | 'ensureCollection'
  | 'exampleLink'
  | 'upsert'
  | 'idsByPath'
  | 'vectorsByEmbeddedText'
  | 'allPaths'
  | 'deleteIds'
  | 'deletePaths'
>;

export interface IngestOptions {
  dir: string;
  store: IngestStore;
  embedder: Pick<Embedder, 'model' | 'dimension' | 'embedDocuments'>;
  maxChars: number;
  overlapChars: number;
  /** DOCS_BASE_URL (or --base-url): chunk links are this plus the page path. */
  baseUrl?: string;
  /** Chunks per embedding call and per upsert. */
  batchSize: number;
  logger?: Logger;
  onProgress?: (event: IngestProgress) => void;
  metrics?: Pick<AskdocsMetrics, 'ingestFiles' | 'ingestChunks'>;
  /**
   * `--prune` / `--yes`: allow a run that leaves the index empty, or loses more than
   * half of its files (missing or emptied). Without it such a run is refused before
   * anything is written: an empty or mistyped folder (an unmounted volume) would
   * otherwise empty production.
   */
  allowPrune?: boolean;
  /**
   * `--yes`: allow a run without a base URL over an index whose chunks have links, which
   * drops every link. Without it such a run is refused: it is what re-running ingest
   * without repeating `--base-url` looks like.
   */
  allowDroppingLinks?: boolean;
  /** INGEST_MAX_FILE_MB in bytes: larger files are skipped with a warning. Default 5 MB. */
  maxFileBytes?: number;
}

/** A file (or a sub-folder, path ending in `/`) left out of this run, and why. */
export interface SkippedFile {
  path: string;
  reason: string;
}

export const DEFAULT_MAX_FILE_BYTES = 5 * 1024 * 1024;

export interface IngestSummary {
  /** `skipped`: files (and sub-folders) that could not be ingested; their earlier chunks are kept. */
  files: { added: number; changed: number; unchanged: number; removed: number; skipped: number };
  /**
   * `embedded`: chunks the model embedded; `reused`: new chunks (a new link, a new place in
   * their file) whose text their file's old chunks had, stored with the old vector.
   */
  chunks: { total: number; embedded: number; reused: number; deleted: number };
  seconds: number;
}

export type IngestProgress =
  /** The folder is scanned and compared with the store; `toEmbed` chunks are new. */
  | { type: 'planned'; files: number; chunks: number; toEmbed: number }
  /** A file that is left out, named, with the reason; the run goes on. */
  | { type: 'skipped'; path: string; reason: string }
  /** Documentation files in markups askdocs does not read (`.rst`, `.adoc`), counted by extension; the run goes on. */
  | { type: 'unread'; byFormat: Record<string, number> }
  /** Cumulative counts after each written batch: `written` of the `toEmbed` new chunks are stored. */
  | { type: 'progress'; written: number; toEmbed: number; filesDone: number; files: number }
  | { type: 'done'; summary: IngestSummary };

interface FilePlan {
  path: string;
  chunks: PreparedChunk[];
  toEmbed: PreparedChunk[];
  staleIds: string[];
  action: 'added' | 'changed' | 'unchanged';
}

export async function ingestFolder(options: IngestOptions): Promise<IngestSummary> {
  const started = performance.now();
  const { store, embedder } = options;
  const record = options.metrics;
  const signature = { model: embedder.model, dimension: embedder.dimension };
  // An existing index is checked (its embedding model) before the folder is read; a new
  // one is created only once the folder has something to store in it.
  const indexed = await store.exists();
  if (indexed) await store.ensureCollection(signature);

  const skipped: SkippedFile[] = [];
  const skip = (path: string, reason: string) => {
    skipped.push({ path, reason });
    // Info, not warn: the CLI logs warnings to its stderr and already names each
    // skipped file there in words (onProgress), so a warning printed it twice.
    options.logger?.info({ path, reason }, 'ingest: file skipped');
    options.onProgress?.({ type: 'skipped', path, reason });
  };
  const unread: Record<string, number> = {};
  const files = await scanFolder(options.dir, {
    onSkip: skip,
    onUnread: (path) => {
      const format = unreadFormat(path)!;
      unread[format] = (unread[format] ?? 0) + 1;
    },
  });
  if (Object.keys(unread).length > 0) {
    options.logger?.info({ byFormat: unread }, 'ingest: documentation in other formats not read');
    options.onProgress?.({ type: 'unread', byFormat: unread });
  }
  // After the scan, so a mistyped folder is named as such first.
  if (indexed) await refuseDroppingLinks(options);
  const storedPaths = indexed ? await store.allPaths() : [];
  const storedIds = indexed ? await store.idsByPath(storedPaths) : new Map<string, string[]>();
  const texts = new Map<string, string>();
  for (const file of files) {
    if (Buffer.byteLength(file.path) > MAX_PATH_BYTES) {
      skip(
        file.path,
        `its path is longer than the ${MAX_PATH_BYTES.toLocaleString('en-US')} bytes the index stores; move it higher up or shorten its folder names`,
      );
      continue;
    }
    const read = await readDocument(file.absolutePath, options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES);
    if (read.ok) texts.set(file.path, read.text);
    else skip(file.path, read.reason);
  }
  // A file another page includes is part of that page (includes.ts), not a page itself.
  const includesByPage = new Map([...texts].map(([path, text]) => [path, includesOf(text, path, (other) => texts.has(other))]));
  const included = new Set([...includesByPage.values()].flat());
  if (included.size > 0)
    options.logger?.info({ files: [...included] }, 'ingest: files included by other pages are indexed as part of them');
  // Code files that VitePress pages show with `<<<` (snippets.ts), each read once.
  const readSnippets = snippetReader(options.dir, options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES);
  // A MkDocs site's pages are titled by their nav labels (mkdocs-nav.ts).
  const navTitles = await mkdocsNavTitles(options.dir, options.logger);
  const plans: FilePlan[] = [];
  for (const [path, text] of texts) {
    if (included.has(path)) continue;
    let chunks: PreparedChunk[];
    try {
      // Most pages include nothing: only those that do are read through again.
      let source = includesByPage.get(path)?.length ? resolveIncludes(text, path, (other) => texts.get(other)) : text;
      const shown = snippetsOf(source, path);
      if (shown.length > 0) source = resolveSnippets(source, path, await readSnippets(shown));
      chunks = prepareDocument(source, path, { ...options, navTitle: navTitles.get(path) });
    } catch (error) {
      skip(path, parseFailure(error));
      continue;
    }
    const stored = storedIds.get(path) ?? [];
    // Nothing to store, and nothing stored before: not "unchanged", which read as indexed.
    if (chunks.length === 0 && stored.length === 0) {
      skip(path, text.trim() === '' ? 'empty' : 'no text to index (front matter, comments or markup only)');
      continue;
    }
    plans.push(planFile(path, chunks, stored));
  }
  // A skipped file (or folder) still exists: its earlier chunks stay until it can be read again.
  // An included file's chunks from before it was included go.
  const present = new Set([...files.map((f) => f.path).filter((path) => !included.has(path)), ...skipped.map((s) => s.path)]);
  const skippedFolders = skipped.map((s) => s.path).filter((path) => path.endsWith('/'));
  const removedPaths = storedPaths.filter((path) => !present.has(path) && !skippedFolders.some((folder) => path.startsWith(folder)));

  refuseNothingToIngest(options.dir, plans, storedIds, files.length > 0 || skipped.length > 0, unread);
  refuseLargeDeletion(options, plans, removedPaths, storedIds);
  if (!indexed) await store.ensureCollection(signature);

  const toEmbed = plans.flatMap((plan) => plan.toEmbed);
  const totalChunks = plans.reduce((sum, plan) => sum + plan.chunks.length, 0);
  options.onProgress?.({ type: 'planned', files: plans.length, chunks: totalChunks, toEmbed: toEmbed.length });
  options.logger?.info(
    { dir: options.dir, files: plans.length, chunks: totalChunks, toEmbed: toEmbed.length, removed: removedPaths.length },
    'ingest planned',
  );

  // A changed file's old chunks, by the text they were embedded from: a chunk whose id
  // changed but not that text (a new link, a new place after an edit above it) takes its
  // old vector instead of a model call. Loaded per file, and forgotten when it is done.
  const oldVectors = new Map<FilePlan, Promise<Map<string, number[]>>>();
  const oldVectorsOf = (plan: FilePlan) => {
    let known = oldVectors.get(plan);
    if (!known) {
      known = plan.staleIds.length > 0 ? store.vectorsByEmbeddedText(plan.staleIds) : Promise.resolve(new Map());
      oldVectors.set(plan, known);
    }
    return known;
  };
  let deleted = 0;
  let filesDone = 0;
  // Files whose chunks are all stored: their stale ids can go now.
  const finishFile = async (plan: FilePlan) => {
    if (plan.staleIds.length > 0) {
      await store.deleteIds(plan.staleIds);
      deleted += plan.staleIds.length;
    }
    oldVectors.delete(plan);
    filesDone++;
  };
  const remaining = new Map(plans.map((plan) => [plan, plan.toEmbed.length]));
  for (const plan of plans) if (plan.toEmbed.length === 0) await finishFile(plan);

  const planOf = new Map<PreparedChunk, FilePlan>();
  for (const plan of plans) for (const chunk of plan.toEmbed) planOf.set(chunk, plan);

  let written = 0;
  let embedded = 0;
  let reused = 0;
  // Embedding (CPU) of one batch overlaps the upsert (I/O) of the previous one.
  let writing: Promise<void> = Promise.resolve();
  let writeError: unknown;
  const write = async (batch: PreparedChunk[], vectors: number[][]) => {
    await store.upsert(batch.map(({ embeddingText, ...chunk }, i) => ({ ...chunk, searchText: embeddingText, vector: vectors[i]! })));
    written += batch.length;
    for (const chunk of batch) {
      const plan = planOf.get(chunk)!;
      const left = remaining.get(plan)! - 1;
      remaining.set(plan, left);
      if (left === 0) await finishFile(plan);
    }
    options.logger?.debug({ written, embedded, reused, toEmbed: toEmbed.length, filesDone }, 'ingest batch written');
    options.onProgress?.({ type: 'progress', written, toEmbed: toEmbed.length, filesDone, files: plans.length });
  };
  const vectorsFor = async (batch: PreparedChunk[]): Promise<number[][]> => {
    const vectors = await Promise.all(batch.map(async (chunk) => (await oldVectorsOf(planOf.get(chunk)!)).get(chunk.embeddingText)));
    const missing = batch.filter((_, i) => vectors[i] === undefined);
    const fresh = missing.length > 0 ? await embedder.embedDocuments(missing.map((chunk) => chunk.embeddingText)) : [];
    embedded += missing.length;
    reused += batch.length - missing.length;
    let next = 0;
    return vectors.map((vector) => vector ?? fresh[next++]!);
  };
  for (let i = 0; i < toEmbed.length; i += options.batchSize) {
    const batch = toEmbed.slice(i, i + options.batchSize);
    const vectors = await vectorsFor(batch);
    await writing;
    if (writeError) throw writeError;
    writing = write(batch, vectors).catch((error: unknown) => {
      writeError = error;
    });
  }
  await writing;
  if (writeError) throw writeError;

  if (removedPaths.length > 0) {
    await store.deletePaths(removedPaths);
    deleted += removedPaths.reduce((sum, path) => sum + (storedIds.get(path)?.length ?? 0), 0);
  }

  const count = (action: FilePlan['action']) => plans.filter((plan) => plan.action === action).length;
  const summary: IngestSummary = {
    files: {
      added: count('added'),
      changed: count('changed'),
      unchanged: count('unchanged'),
      removed: removedPaths.length,
      skipped: skipped.length,
    },
    chunks: { total: totalChunks, embedded, reused, deleted },
    seconds: (performance.now() - started) / 1000,
  };
  for (const [action, n] of Object.entries(summary.files)) if (n > 0 && action !== 'skipped') record?.ingestFiles.inc({ action }, n);
  if (embedded > 0) record?.ingestChunks.inc({ action: 'embedded' }, embedded);
  if (reused > 0) record?.ingestChunks.inc({ action: 'reused' }, reused);
  if (deleted > 0) record?.ingestChunks.inc({ action: 'deleted' }, deleted);
  options.logger?.info({ ...summary }, 'ingest done');
  options.onProgress?.({ type: 'done', summary });
  return summary;
}

/**
 * Refuses (unless allowPrune) a run that would leave the index empty, or lose more
 * than half of its files (missing from the folder, or emptied): what an unmounted
 * volume, a mistyped folder or a broken sync looks like. Edits are not losses, however
 * much they rewrite or shorten a page: its old chunks are replaced by its new ones.
 */
function refuseLargeDeletion(options: IngestOptions, plans: FilePlan[], removedPaths: string[], storedIds: Map<string, string[]>): void {
  if (options.allowPrune) return;
  const chunksOf = (path: string) => storedIds.get(path)?.length ?? 0;
  const stored = [...storedIds.keys()].reduce((sum, path) => sum + chunksOf(path), 0);
  if (stored === 0) return;
  const emptied = plans.filter((plan) => plan.chunks.length === 0 && chunksOf(plan.path) > 0).map((plan) => plan.path);
  const lost = removedPaths.length + emptied.length;
  // What the index holds afterwards: each planned file's new chunks, and the stored
  // chunks of files this run neither plans nor removes (skipped ones keep theirs).
  const replaced = new Set([...removedPaths, ...plans.map((plan) => plan.path)]);
  const after =
    plans.reduce((sum, plan) => sum + plan.chunks.length, 0) +
    [...storedIds.keys()].reduce((sum, path) => sum + (replaced.has(path) ? 0 : chunksOf(path)), 0);
  if (after > 0 && lost * 2 <= storedIds.size) return;
  const doomed = [...removedPaths, ...emptied].reduce((sum, path) => sum + chunksOf(path), 0);
  const share = after > 0 ? `${doomed} of ${stored} indexed chunks` : `all ${counted(stored, 'indexed chunk')}`;
  const why = [
    removedPaths.length > 0 ? `${removedPaths.length} of ${storedIds.size} indexed files are missing from ${options.dir}` : '',
    emptied.length > 0 ? `${emptied.length} of ${storedIds.size} indexed files in ${options.dir} are now empty` : '',
  ]
    .filter(Boolean)
    .join(', and ');
  throw new AskdocsError('ingest', `Refusing to delete ${share}: ${why}. Check the folder, or pass --prune to allow it.`);
}

/**
 * Refuses (unless allowDroppingLinks) a run without a base URL over an index whose chunks
 * have links: every chunk's id covers its link, so the run rewrote every chunk without
 * one, silently. Moving to another base URL stays allowed.
 */
async function refuseDroppingLinks(options: IngestOptions): Promise<void> {
  if (options.baseUrl || options.allowDroppingLinks) return;
  const example = await options.store.exampleLink();
  if (example === undefined) return;
  throw new AskdocsError(
    'ingest',
    `Refusing to drop every link: the index links its sources (e.g. ${escapeControlChars(example)}), and this run has no base URL. ` +
      'Pass --base-url again or set DOCS_BASE_URL, or pass --yes to drop the links.',
  );
}

/**
 * Refuses a run that would leave a new (or empty) index empty: "Ingested 0 files" and
 * exit 0 read as success, and every question then found nothing. An index that holds
 * chunks is left to refuseLargeDeletion.
 */
function refuseNothingToIngest(
  dir: string,
  plans: FilePlan[],
  storedIds: Map<string, string[]>,
  foundAny: boolean,
  unread: Record<string, number>,
): void {
  if (storedIds.size > 0 || plans.some((plan) => plan.chunks.length > 0)) return;
  if (!foundAny) {
    const extensions = listed(DOCUMENT_EXTENSIONS);
    const other = Object.keys(unread).length > 0 ? `, and this folder has only ${unreadFiles(unread)}: convert them to Markdown` : '';
    throw new AskdocsError('input', `No docs files found in ${dir}: askdocs reads ${extensions} files${other}.`);
  }
  throw new AskdocsError('input', `Nothing to ingest in ${dir}: every docs file in it was skipped (see above).`);
}

function planFile(path: string, chunks: PreparedChunk[], storedIds: string[]): FilePlan {
  const stored = new Set(storedIds);
  const fresh = new Set(chunks.map((chunk) => chunk.id));
  const toEmbed = chunks.filter((chunk) => !stored.has(chunk.id));
  const staleIds = storedIds.filter((id) => !fresh.has(id));
  // Files with no text and nothing stored are skipped before planning (ingestFolder);
  // one emptied since its last run is changed: its chunks go.
  const added = storedIds.length === 0;
  const action = added ? 'added' : toEmbed.length === 0 && staleIds.length === 0 ? 'unchanged' : 'changed';
  return { path, chunks, toEmbed, staleIds, action };
}

/** "1 .adoc file and 2 .rst files". */
export function unreadFiles(byFormat: Record<string, number>): string {
  return listed(
    Object.entries(byFormat)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([format, n]) => counted(n, `${format} file`)),
  );
}
