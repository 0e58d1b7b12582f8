/**
 * Lists are stored in VARCHAR fields as JSON (every Milvus speaks VARCHAR; ARRAY
 * fields are not available everywhere). A value that is missing or not a JSON list
 * of strings reads as empty rather than failing the whole search or report.
 */
export function stringListField(value: unknown): string[] {
  try {
    const parsed: unknown = JSON.parse(String(value ?? '[]'));
    return Array.isArray(parsed) ? parsed.map(String) : [];
  } catch {
    return [];
  }
}
