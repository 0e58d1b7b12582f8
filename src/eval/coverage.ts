/**
 * Which pages an eval set expects that the index does not hold. Expected sections are
 * named by path relative to the docs folder; an index built from another folder, or
 * from a folder one level up or down, holds none of them, and every answerable question
 * then scores as a miss with nothing to say why.
 */
import type { EvalItem } from './dataset.ts';

export function pagesNotIndexed(items: EvalItem[], indexedPaths: Iterable<string>): { expected: string[]; missing: string[] } {
  const indexed = new Set(indexedPaths);
  const expected = [...new Set(items.flatMap((item) => item.expected.map((section) => section.path)))];
  return { expected, missing: expected.filter((path) => !indexed.has(path)) };
}

/** One line for stderr, or undefined when every expected page is indexed. */
export function pagesNotIndexedWarning(items: EvalItem[], indexedPaths: Iterable<string>): string | undefined {
  const { expected, missing } = pagesNotIndexed(items, indexedPaths);
  if (missing.length === 0) return undefined;
  const example = `e.g. ${missing[0]}`;
  return missing.length === expected.length
    ? `none of the ${expected.length} pages this set expects are in the index (${example}): was it built from the docs folder the set was written for? Paths are relative to the folder given to \`askdocs ingest\`.`
    : `${missing.length} of the ${expected.length} pages this set expects are not in the index (${example}); questions about them count as misses.`;
}
