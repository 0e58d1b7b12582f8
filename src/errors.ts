/**
 * Errors that carry a plain, user-facing message. Front ends show `userMessage`
 * (never a stack trace); logs get the full error with its `code`.
 */
export type ErrorCode =
  | 'config'
  | 'milvus_unavailable'
  | 'milvus_lite_missing'
  | 'milvus_data_dir_locked'
  | 'milvus_port_taken'
  | 'milvus'
  | 'embedding_mismatch'
  | 'embedding'
  | 'llm_unavailable'
  | 'llm_rate_limited'
  | 'llm_timeout'
  | 'ingest'
  | 'feedback'
  | 'input'
  | 'rate_limited'
  | 'shutting_down';

export class AskdocsError extends Error {
  readonly code: ErrorCode;
  readonly userMessage: string;

  constructor(code: ErrorCode, userMessage: string, options?: { cause?: unknown }) {
    super(userMessage, options);
    this.name = 'AskdocsError';
    this.code = code;
    this.userMessage = userMessage;
  }
}

/**
 * What a chat user (or the CLI) is told when Milvus fails a request. Plain words: which
 * request failed and gRPC's own text are for the log (the error's `message` and `cause`).
 */
export const MILVUS_RESTARTING_MESSAGE = 'The search engine is restarting. Please try again in a moment.';
export const MILVUS_UNREACHABLE_MESSAGE = 'The search engine cannot be reached right now. Please try again in a moment.';
export const MILVUS_TIMEOUT_MESSAGE = 'The search engine did not answer in time; it may be overloaded. Please try again in a moment.';

/** A message safe to show a chat user or print as the CLI's one error line. */
export function userMessageOf(error: unknown): string {
  if (error instanceof AskdocsError) return error.userMessage;
  return 'Something went wrong on our side while answering. Please try again in a moment.';
}
