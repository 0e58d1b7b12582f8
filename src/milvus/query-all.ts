/**
 * Every row matching a filter, for collections whose primary keys are hex strings.
 * No SDK iterators (the embedded engine lacks them), and no paging by offset: query
 * results come in no particular order, so a range that fills a whole page is split
 * by the next hex digit of the id instead.
 */
import type { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { check } from './status.ts';

/** Rows per query; Milvus caps one query at 16,384. */
const PAGE = 4_000;

export async function queryAllRows(
  client: MilvusClient,
  options: { collection: string; filter: string; fields: string[] },
): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  const visit = async (prefix: string): Promise<void> => {
    const range = prefix ? `id like ${JSON.stringify(`${prefix}%`)}` : '';
    const response = await client.query({
      collection_name: options.collection,
      filter: [options.filter && `(${options.filter})`, range].filter(Boolean).join(' and '),
      output_fields: [...new Set(['id', ...options.fields])],
      limit: PAGE,
    });
    check(response.status, 'query');
    if (response.data.length < PAGE || prefix.length >= 16) {
      rows.push(...response.data);
      return;
    }
    for (const digit of '0123456789abcdef') await visit(prefix + digit);
  };
  await visit('');
  return rows;
}
