/**
 * The whole Discord path, nothing stubbed but the services out of reach: the local fake
 * Discord (REST + gateway) → real discord.js Client → real engine (real embedding model,
 * real Milvus Lite holding the Milvus FAQ pages, hybrid search) → local OpenAI-compatible
 * LLM server. /askdocs, a thread follow-up that needs the conversation, and an LLM outage.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NEEDS_SHARED } from './fakes/config.ts';
import type { FakeChannel, FakeInteraction } from './fakes/discord/index.ts';
import { defaultResponder, type FakeLlm } from './fakes/llm-server.ts';
import { type BotHarness, startBotHarness } from './support/discord-bot.ts';
import { type FullStack, startFullStack } from './support/full-stack.ts';

const QUESTION = 'What is the maximum vector dimension supported in Milvus?';

describe('Discord full path: real engine, Milvus Lite, local LLM server', { skip: NEEDS_SHARED }, () => {
  let stack: FullStack;
  let llm: FakeLlm;
  let h: BotHarness;

  before(async () => {
    stack = await startFullStack();
    llm = stack.llm;
    const { env } = stack;
    h = await startBotHarness({ engine: stack.runtime.engine, env, bot: { textIntervalMs: 100 } });
  });

  after(async () => {
    await h?.close();
    await stack?.close();
  });

  const replyOf = (interaction: FakeInteraction) =>
    interaction.originalMessageId ? h.fake.message(interaction.originalMessageId) : undefined;
  const sourcesIn = (thread: FakeChannel) => h.fake.visibleMessages(thread).filter((m) => m.embeds.length > 0);

  it('/askdocs: streams the model’s answer into the reply, then cites the FAQ page in a thread', async () => {
    llm.reset();
    llm.setBehaviour({ tokensPerSecond: 40 });
    const { fake } = h;
    const user = fake.addUser('milvus-user');
    const interaction = fake.slashCommand({ user, channel: fake.general, options: { question: QUESTION } });
    const thread = await fake.waitFor(
      () => {
        const reply = replyOf(interaction);
        const t = reply && fake.threadOf(reply);
        return t && sourcesIn(t).length > 0 ? t : undefined;
      },
      { what: 'answer thread with sources', timeoutMs: 30_000 },
    );

    assert.equal(interaction.callbackType, 5);
    const request = llm.lastChatRequest();
    assert.ok(request, 'the LLM was called');
    assert.match(request.messages?.[0]?.content ?? '', /32,768 dimensions/, 'retrieved the FAQ section');
    const reply = replyOf(interaction)!;
    assert.equal(reply.content, defaultResponder(request));
    const edits = reply.revisions.filter((r) => r.content !== '');
    assert.ok(edits.length >= 2, `streamed in ${edits.length} edits`);

    const embed = sourcesIn(thread)[0]?.embeds[0] as { title: string; description: string };
    assert.equal(embed.title, 'Sources');
    const lines = embed.description.split('\n');
    assert.equal(lines.length, 1, 'only the cited source');
    assert.match(lines[0] ?? '', /^\*\*\[1\]\*\* Product FAQ › .+ · `product_faq\.md`$/);
    assert.deepEqual(reply.allowedMentions, { parse: [] });

    // A follow-up in the thread, no mention: the engine gets the conversation.
    const followUp = 'Does that limit apply to binary vectors too?';
    fake.userSays({ user, channel: thread, content: followUp });
    await fake.waitFor(() => sourcesIn(thread).length === 2 || undefined, { what: 'follow-up answered', timeoutMs: 30_000 });
    const prompts = llm.requests.filter((r) => r.route === 'chat').map((r) => JSON.stringify(r.messages));
    assert.ok(
      prompts.some((p) => p.includes(followUp) && p.includes('maximum vector dimension')),
      'history reached the LLM',
    );
    const answers = fake.visibleMessages(thread).filter((m) => m.author.id === fake.bot.id && m.content !== '');
    assert.equal(answers.length, 1);
    assert.equal(answers[0]?.messageReference?.channel_id, thread.id);
  });

  it('LLM down: the user gets a plain message in the thread', async () => {
    llm.reset();
    llm.failNext(...Array.from({ length: 4 }, () => ({ type: 'status' as const, status: 500, retryAfter: 0 })));
    const { fake } = h;
    const user = fake.addUser('unlucky-user');
    const question = fake.userSays({ user, channel: fake.general, content: QUESTION, mentionBot: true });
    const message = await fake.waitFor(
      () => {
        const thread = fake.threadOf(question);
        return thread ? fake.visibleMessages(thread).find((m) => m.author.id === fake.bot.id && m.content !== '') : undefined;
      },
      { what: 'a visible reply', timeoutMs: 30_000 },
    );
    assert.match(message.content, /^⚠️ The language model service is unavailable right now/);
    assert.doesNotMatch(message.content, /Error:|\n\s+at /);
  });
});
