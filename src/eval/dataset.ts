/**
 * The retrieval evaluation set format (docs/eval.md): one JSON object per
 * line, validated so a malformed line is reported by line number.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { questionRefusal } from '../engine/question.ts';
import type { Question, Turn } from '../engine/types.ts';
import { AskdocsError } from '../errors.ts';

const turnSchema = z.object({ role: z.enum(['user', 'assistant']), content: z.string() });
const expectedSchema = z.object({ path: z.string().min(1), heading: z.string() });

const itemSchema = z
  .object({
    id: z.string().min(1),
    kind: z.enum(['single', 'followup', 'unanswerable']),
    question: z.string().optional(),
    turns: z.array(turnSchema).optional(),
    expected: z.array(expectedSchema).default([]),
    answer_keywords: z.array(z.string()).default([]),
  })
  .superRefine((item, ctx) => {
    if (item.kind === 'followup') {
      if (!item.turns || item.turns.length === 0 || item.turns.at(-1)?.role !== 'user') {
        ctx.addIssue({ code: 'custom', message: 'a followup needs turns ending with a user turn' });
        return;
      }
    } else if (!item.question?.trim()) {
      ctx.addIssue({ code: 'custom', message: `a ${item.kind} item needs a question` });
      return;
    }
    // Found here, by line, rather than by the engine halfway through the run.
    const refusal = questionRefusal(questionOf(item).text);
    if (refusal) ctx.addIssue({ code: 'custom', message: `its question would be refused ("${refusal}")` });
    if (item.kind !== 'unanswerable' && item.expected.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'an answerable item needs at least one expected section' });
    }
  });

export type EvalItem = z.infer<typeof itemSchema>;
export type ExpectedSection = z.infer<typeof expectedSchema>;

export async function loadEvalSet(file: string): Promise<EvalItem[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new AskdocsError('input', `Cannot read eval set ${file}: ${(error as Error).message}`, { cause: error });
  }
  return parseEvalSet(text, file);
}

export function parseEvalSet(text: string, name = 'eval set'): EvalItem[] {
  const items: EvalItem[] = [];
  const ids = new Set<string>();
  // A BOM (editors on Windows write one) is no part of the first item's JSON.
  text
    .replace(/^\uFEFF/, '')
    .split('\n')
    .forEach((line, index) => {
      if (line.trim() === '') return;
      const where = `${name} line ${index + 1}`;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        throw new AskdocsError('input', `${where}: not valid JSON.`);
      }
      const parsed = itemSchema.safeParse(json);
      if (!parsed.success) {
        const problem = parsed.error.issues[0];
        const field = problem?.path.length ? `${problem.path.join('.')}: ` : '';
        throw new AskdocsError('input', `${where}: ${field}${problem?.message ?? 'invalid item'}.`);
      }
      if (ids.has(parsed.data.id)) throw new AskdocsError('input', `${where}: duplicate id ${parsed.data.id}.`);
      ids.add(parsed.data.id);
      items.push(parsed.data);
    });
  if (items.length === 0) throw new AskdocsError('input', `${name} holds no questions.`);
  return items;
}

/** The question as a user would ask it: for follow-ups, the last user turn with the earlier turns as history. */
export function questionOf(item: EvalItem): Question {
  if (item.kind === 'followup' && item.turns) {
    const history: Turn[] = item.turns.slice(0, -1);
    return { text: item.turns.at(-1)!.content, history, scope: { platform: 'eval' } };
  }
  return { text: item.question ?? '', scope: { platform: 'eval' } };
}
