/** Milvus response status, as every SDK call reports it (when it reports one at all). */
import { AskdocsError } from '../errors.ts';

export type Status = { error_code?: string | number; code?: number; reason?: string };

/**
 * Throws when a Milvus response reports failure, including UNIMPLEMENTED turned into
 * "OK" (no status at all). Quirk: Milvus Lite reports failures in `code` alone, with
 * `error_code` left at "Success" (e.g. code 700, "index not found"); both must say OK.
 */
export function check(status: Status | undefined, operation: string): void {
  const code = status?.error_code;
  const ok = (code === 'Success' || code === 0 || code === undefined) && (status?.code ?? 0) === 0;
  if (!status || !ok) {
    throw new AskdocsError('milvus', `Milvus ${operation} failed: ${status?.reason || `error ${String(code ?? 'unknown')}`}`);
  }
}
