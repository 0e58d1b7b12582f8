/**
 * `askdocs ingest <dir> [--base-url URL]`: indexes a docs folder into Milvus.
 * Incremental and resumable (see src/ingest/ingest.ts); prints a bar on a terminal
 * and one summary line otherwise.
 */
import { resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { docsBaseUrlProblem } from '../../config.ts';
import type { IngestOptions, IngestSummary } from '../../ingest/ingest.ts';
import type { CliContext } from '../context.ts';

/**
 * Programmatic ingest (tests, bench). The ingest modules (markdown parser, metrics)
 * load on first use, so `askdocs --help` and the other commands never pay for them.
 */
export async function ingestFolder(options: IngestOptions): Promise<IngestSummary> {
  const ingest = await import('../../ingest/ingest.ts');
  return ingest.ingestFolder(options);
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('ingest')
    .description('Index a folder of docs (.md, .mdx, .markdown, .txt) into Milvus; re-run to pick up changes')
    .argument('<dir>', 'docs folder', parseDocsFolder)
    .option('--base-url <url>', 'link prefix for sources, or a template with {path} or {id} (default: DOCS_BASE_URL)', parseBaseUrl)
    .option('--prune', 'allow a run that leaves the index empty or loses more than half of its files (refused otherwise)')
    .option('--yes', 'as --prune, and also allow a run without a base URL to drop the links the index has (refused otherwise)')
    .action(async (dir: string, options: { baseUrl?: string; prune?: boolean; yes?: boolean }) => {
      const config = ctx.loadConfig();
      const logger = ctx.logger(config);
      const { createProgressReporter } = await import('../../ingest/progress.ts');
      const progress = createProgressReporter();
      try {
        const runtime = await ctx.openRuntime(config, logger, { createIndex: true });
        try {
          await ingestFolder({
            dir: resolve(dir),
            store: runtime.store,
            embedder: runtime.embedder,
            maxChars: config.ingest.chunkMaxChars,
            overlapChars: config.ingest.chunkOverlapChars,
            baseUrl: options.baseUrl ?? config.ingest.docsBaseUrl,
            batchSize: config.embedding.batchSize,
            maxFileBytes: config.ingest.maxFileBytes,
            allowPrune: Boolean(options.prune || options.yes),
            allowDroppingLinks: Boolean(options.yes),
            logger,
            metrics: runtime.metrics,
            onProgress: (event) => progress.onProgress(event),
          });
        } finally {
          progress.stop();
          await runtime.close();
        }
      } catch (error) {
        ctx.fail(error);
      }
    });
}

/** `ingest ""` (an unset shell variable, say) must not resolve to the current folder and index it. */
function parseDocsFolder(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('must name the folder that holds the docs');
  return value;
}

function parseBaseUrl(value: string): string {
  let protocol: string | undefined;
  try {
    protocol = new URL(value).protocol;
  } catch {
    // the same message as for another scheme
  }
  if (protocol !== 'http:' && protocol !== 'https:') throw new InvalidArgumentError('must be an http(s) URL');
  const problem = docsBaseUrlProblem(value);
  if (problem) throw new InvalidArgumentError(problem);
  return value;
}
