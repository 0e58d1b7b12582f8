/** Milvus response status, as every SDK call reports it (when it reports one at all). */
import { AskdocsError } from '../errors.ts';

export type Status = { error_code?: string | number; code?: number; reason?: string };

/** Whether a Milvus response reports success (see `check`). */
export function statusOk(status: Status | undefined): boolean {
  const code = status?.error_code;
  return Boolean(status) && (code === 'Success' || code === 0 || code === undefined) && (status?.code ?? 0) === 0;
}

/**
 * Throws when a Milvus response reports failure, including UNIMPLEMENTED turned into
 * "OK" (no status at all). Quirk: Milvus Lite reports failures in `code` alone, with
 * `error_code` left at "Success" (e.g. code 700, "index not found"); both must say OK.
 */
export function check(status: Status | undefined, operation: string): void {
  if (!statusOk(status)) {
    const reason = status?.reason || `error ${String(status?.error_code ?? 'unknown')}`;
    throw new AskdocsError('milvus', sentence(`Milvus ${operation} failed: ${reason}`));
  }
}

/** A message as a sentence: ends with a full stop unless it already ends with one (or ? or !). */
export function sentence(message: string): string {
  const trimmed = message.trimEnd();
  return /[.!?…]["')\]]?$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

const hopeless = new WeakSet<object>();

/**
 * Marks an error that running the same command again cannot get past (a damaged data
 * file, a read-only data folder, a full disk): its message says what to do instead, and
 * the CLI adds no "run the ingest again" hint to it.
 */
export function rerunCannotHelp<T extends object>(error: T): T {
  hopeless.add(error);
  return error;
}

export function isRerunHopeless(error: unknown): boolean {
  return typeof error === 'object' && error !== null && hopeless.has(error);
}
