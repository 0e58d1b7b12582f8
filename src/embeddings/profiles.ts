/**
 * How a local embedding model expects to be called. Asymmetric models such as
 * nomic-embed-text-v1.5 were trained with a task prefix on every input, and without it
 * their query and passage vectors do not line up.
 */
export interface LocalModelProfile {
  /** Prepended to every question before it is embedded. */
  readonly queryPrefix: string;
  /** Prepended to every chunk before it is embedded at ingest. */
  readonly documentPrefix: string;
  /** Tokens kept per input; longer input is truncated. */
  readonly maxTokens: number;
}

/** all-MiniLM-L6-v2 was trained on 256 word pieces; longer input only costs time. */
const SYMMETRIC: LocalModelProfile = { queryPrefix: '', documentPrefix: '', maxTokens: 256 };

const PROFILES: Record<string, LocalModelProfile> = {
  // Takes up to 2,048 tokens; 512 holds a whole 1,600-character chunk (about 400 word
  // pieces) while bounding attention cost, which grows with the square of the length.
  'nomic-embed-text-v1.5': { queryPrefix: 'search_query: ', documentPrefix: 'search_document: ', maxTokens: 512 },
  // Symmetric like MiniLM; its sentence-transformers config keeps 384 word pieces
  // (max_seq_length), so longer input is cut there as it was in training.
  'all-mpnet-base-v2': { queryPrefix: '', documentPrefix: '', maxTokens: 384 },
};

export function localModelProfile(model: string): LocalModelProfile {
  return PROFILES[model] ?? SYMMETRIC;
}
