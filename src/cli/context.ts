/**
 * What every CLI command gets from the entry point: config loading, a logger,
 * the runtime (Milvus + embedder + engine), and one way to fail.
 */
import type { Command } from 'commander';
import type { Config, Requirement } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Runtime } from '../runtime.ts';

export interface CliContext {
  /**
   * Loads and validates config, with the settings `require` names (the command's own);
   * on problems prints every one of them and exits 2.
   */
  loadConfig(require?: Requirement): Config;
  logger(config: Config): Logger;
  /**
   * Starts (or connects to) Milvus, loads the embedder and builds the engine. Closed on exit and on SIGINT/SIGTERM.
   * Only a command given `createIndex` (ingest, the bots) may make the embedded engine's data folder; for the
   * others a folder with nothing ingested is an error naming it, with nothing created.
   */
  openRuntime(config: Config, logger: Logger, options?: { createIndex?: boolean }): Promise<Runtime>;
  /**
   * Long-running commands (the bots) install their own graceful shutdown
   * (src/lifecycle.ts); this removes the CLI's default "close and exit" signal handlers
   * and its "fail on an unhandled rejection" handler (a bot logs those and keeps serving).
   */
  handOverSignals(): void;
  /** Prints one clear line (the error's user message) to stderr and exits non-zero. */
  fail(error: unknown): never;
}

export type RegisterCommand = (program: Command, ctx: CliContext) => void;
