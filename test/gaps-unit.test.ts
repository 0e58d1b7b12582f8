/**
 * The pure parts of the gaps report: the clustering rule on vectors whose
 * distances are known, and the template suggestions.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CompletionRequest, FinishReason, LlmClient } from '../src/answer/llm.ts';
import { checkQuestion } from '../src/engine/question.ts';
import { centroid, clusterByMeaning, cosineDistance, medoid } from '../src/gaps/cluster.ts';
import { buildGapsReport } from '../src/gaps/report.ts';
import { llmSuggestion, templateSuggestion } from '../src/gaps/suggest.ts';
import type { LoggedQuestion } from '../src/questions/store.ts';

/** A unit vector at `degrees` in the plane: cosine distance between two is 1 - cos(angle between). */
const at = (degrees: number) => [Math.cos((degrees * Math.PI) / 180), Math.sin((degrees * Math.PI) / 180)];

describe('clustering gap questions', () => {
  it('keeps groups whose mean distance is within the cut, and splits groups farther apart', () => {
    // Two tight groups (within 20°, distance ≤ 0.06) 90° apart (distance ≈ 1).
    const vectors = [at(0), at(10), at(20), at(90), at(100)];
    const clusters = clusterByMeaning(vectors, 0.3).map((c) => [...c].sort());
    assert.deepEqual(clusters.sort(), [
      [0, 1, 2],
      [3, 4],
    ]);
    // A cut below the groups' own spread leaves every question alone.
    assert.equal(clusterByMeaning(vectors, 0.001).length, 5);
  });

  it('does not chain: a question between two topics does not join them', () => {
    // 0°, 40°, 80°: neighbours are 40° apart (distance 0.23); the ends 80° (0.83).
    const vectors = [at(0), at(40), at(80)];
    const clusters = clusterByMeaning(vectors, 0.3);
    assert.ok(
      clusters.every((c) => !(c.includes(0) && c.includes(2))),
      JSON.stringify(clusters),
    );
  });

  it('picks the middle question as representative and a unit centroid', () => {
    const vectors = [at(0), at(10), at(20)];
    assert.equal(medoid([0, 1, 2], vectors), 1);
    const c = centroid([0, 1, 2], vectors);
    assert.ok(Math.abs(Math.hypot(...c) - 1) < 1e-9);
    assert.ok(cosineDistance(c, at(10)) < 1e-9);
  });
});

describe('gaps report from an older log', () => {
  it('leaves out questions of only control or zero-width characters, and shows the others without them', async () => {
    const now = new Date();
    let n = 0;
    const logged = (question: string, degrees: number): LoggedQuestion => ({
      id: String(++n).padStart(32, '0'),
      askedAt: new Date(now.getTime() - n * 60_000),
      platform: 'slack',
      requestId: `r${n}`,
      userHash: `u${n}`,
      channelId: 'C1',
      thread: {},
      question,
      standalone: question,
      mode: 'abstained',
      abstained: true,
      relevance: 0.1,
      citedPaths: [],
      vector: at(degrees),
    });
    const report = await buildGapsReport({
      questions: [
        logged('\u0001\u0002\u0007', 80),
        logged('\u200b\u200b', 81),
        logged('how do I import\u0007 an Excel file?', 0),
        logged('import from Excel\u200b?', 2),
      ],
      votes: new Map(),
      since: new Date(now.getTime() - 86_400_000),
      now,
      minSize: 1,
      lowRelevance: 0.45,
      clusterDistance: 0.6,
      reranker: 'features',
      searchPages: async () => [],
      // As the engine does: a blank question is refused.
      retrieve: async (text) => {
        checkQuestion({ text });
        return { query: text, rewrite: 'none', hits: [], abstain: true };
      },
      suggest: async (input) => templateSuggestion(input),
    });
    assert.deepEqual(
      report.clusters.map((c) => c.questions),
      [['import from Excel?', 'how do I import an Excel file?']],
    );
    assert.equal(report.totals.questions, 2);
  });
});

describe('template suggestions', () => {
  it('extends the closest page, writes a new one, or calls it off-topic', () => {
    assert.equal(
      templateSuggestion({
        representative: 'how do I import an Excel file?',
        examples: [],
        closest: { path: 'userGuide/insert.md', heading: 'Insert' },
      }),
      'Extend userGuide/insert.md (Insert) to answer: "how do I import an Excel file?"',
    );
    assert.equal(
      templateSuggestion({ representative: 'is there a GraphQL API?', examples: [] }),
      'Write a page that answers: "is there a GraphQL API?"',
    );
    assert.match(
      templateSuggestion({ representative: 'ramen near the office?', examples: [], offTopic: true }),
      /off-topic.*no page needed/,
    );
  });
});

describe('LLM suggestions', () => {
  function llm(
    reply: (request: CompletionRequest) => Promise<string>,
    finish: FinishReason = 'stop',
  ): LlmClient & { requests: CompletionRequest[] } {
    const requests: CompletionRequest[] = [];
    return {
      model: 'test',
      requests,
      async *stream() {},
      async complete(request) {
        requests.push(request);
        return { text: await reply(request), finish };
      },
    };
  }
  const input = {
    representative: 'is there a terraform provider?',
    examples: ['is there a terraform provider?', 'manage collections with terraform'],
    closest: { path: 'adminGuide/authenticate.md', heading: 'Authenticate' },
  };

  it('asks for one line about the questions and the closest page, and keeps the reply on one line', async () => {
    const client = llm(async () => '  Write a "Terraform provider" page under integrations/,\n covering collections and indexes. ');
    const line = await llmSuggestion(client, input);
    assert.equal(line, 'Write a "Terraform provider" page under integrations/, covering collections and indexes.');
    const prompt = client.requests[0]!.messages.map((m) => m.content).join('\n');
    assert.match(prompt, /manage collections with terraform/);
    assert.match(prompt, /adminGuide\/authenticate\.md/);
  });

  it('marks a suggestion cut off at the token limit', async () => {
    const client = llm(async () => 'Write a "Terraform provider" page under integrations/ covering', 'length');
    assert.equal(await llmSuggestion(client, input), 'Write a "Terraform provider" page under integrations/ covering…');
  });

  it('falls back to the template when the LLM fails or says nothing', async () => {
    const failing = llm(async () => {
      throw new Error('503');
    });
    assert.equal(await llmSuggestion(failing, input), templateSuggestion(input));
    assert.equal(
      await llmSuggestion(
        llm(async () => '   '),
        input,
      ),
      templateSuggestion(input),
    );
  });
});
