/**
 * The Slack bot against hostile or broken requests (issue 10): validly signed bodies
 * that are not Slack's shapes, clock skew in both directions, DM detection, and the
 * bot process surviving it all. Requests go through the real Bolt receiver.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pageSource, ScriptedEngine } from './fakes/engine.ts';
import { FAKE_BOT, FakeSlackApi } from './fakes/slack-api.ts';
import { blockActionsBody, sendEvent, sendSigned, sendSlashCommand, shortcutBody, slashCommandBody } from './fakes/slack-requests.ts';
import { capturedLogger } from './support/captured-logger.ts';
import { type SlackHarness, startSlackHarness } from './support/slack-harness.ts';
import { slackProcessSuite } from './support/slack-process.ts';
import { ephemeralTexts, nativeFeedbackButtons, sleep, waitForSources } from './support/slack-view.ts';

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';

/** Signed by the right secret, but not one of Slack's shapes. */
const HOSTILE_BODIES: [string, string, string][] = [
  ['JSON null', 'null', JSON_TYPE],
  ['JSON array', '[1,2,3]', JSON_TYPE],
  ['JSON true', 'true', JSON_TYPE],
  ['JSON string', '"str"', JSON_TYPE],
  ['not JSON', '{"type":', JSON_TYPE],
  ['event_callback without event', '{"type":"event_callback","event_id":"Ev0HOSTILE"}', JSON_TYPE],
  ['payload=null', 'payload=null', FORM],
  ['payload={}', `payload=${encodeURIComponent('{}')}`, FORM],
  ['payload=5', 'payload=5', FORM],
];

function slashWithout(field: string): string {
  const form = new URLSearchParams(
    slashCommandBody({ text: 'hi', channel: 'C0HOST', user: 'U0HOST', responseUrl: 'http://127.0.0.1:9/x' }),
  );
  form.delete(field);
  return form.toString();
}

function blockActionsWithoutUser(responseUrl: string): string {
  const form = new URLSearchParams(
    blockActionsBody({ user: 'U0HOST', channel: 'C0HOST', messageTs: '1.000', actionId: 'askdocs_feedback_up', value: 'up', responseUrl }),
  );
  const payload = JSON.parse(form.get('payload') ?? '{}') as Record<string, unknown>;
  delete payload.user;
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** The response status, or 'no answer' when the bot never answered (Bolt 5 on `null`). */
async function statusOf(url: string, body: string, type: string): Promise<number | string> {
  try {
    return (await sendSigned(url, body, type, { signal: AbortSignal.timeout(15_000) })).status;
  } catch {
    return 'no answer';
  }
}

describe('Slack bot: hostile requests', () => {
  let h: SlackHarness;
  const engine = new ScriptedEngine(() => ({ text: 'Still answering [1].', citations: [pageSource(1, 'a.md', 'A')] }));

  before(async () => {
    h = await startSlackHarness({ engine });
  });
  after(async () => {
    await h.close();
  });

  it('validly signed bodies that are not Slack shapes get a 400, and the bot keeps answering', async () => {
    const statuses: Record<string, number | string> = {};
    for (const [name, body, type] of HOSTILE_BODIES) statuses[name] = await statusOf(h.url, body, type);
    statuses['slash command without text'] = await statusOf(h.url, slashWithout('text'), FORM);
    statuses['block_actions without user'] = await statusOf(h.url, blockActionsWithoutUser(h.api.responseUrl('nouser')), FORM);
    const expected = Object.fromEntries(Object.keys(statuses).map((name) => [name, 400]));
    assert.deepEqual(statuses, expected);
    assert.equal(engine.questions.length, 0, 'nothing reached the engine');

    const ack = await sendSlashCommand(h.url, {
      text: 'still there?',
      channel: 'C0AFTER',
      user: 'U0AFTER',
      responseUrl: h.api.responseUrl('after'),
    });
    assert.equal(ack.status, 200);
    await h.api.waitFor(
      () => h.api.messages.find((m) => m.channel === 'C0AFTER' && m.bot_id && /Still answering/.test(m.text)),
      5000,
      'the answer',
    );
  });

  it('rejects a timestamp more than 5 minutes in the future, as it does one in the past', async () => {
    const input = { text: 'from the future', channel: 'C0SKEW', user: 'U0SKEW', responseUrl: h.api.responseUrl('skew') };
    const nowSec = Math.floor(Date.now() / 1000);
    const future = await sendSlashCommand(h.url, input, { timestamp: nowSec + 10 * 60 });
    const past = await sendSlashCommand(h.url, input, { timestamp: nowSec - 10 * 60 });
    const slightlyAhead = await sendSlashCommand(h.url, { ...input, channel: 'C0SKEWOK' }, { timestamp: nowSec + 60 });
    assert.deepEqual([future.status, past.status, slightlyAhead.status], [401, 401, 200]);
    await sleep(200);
    assert.equal(engine.questions.filter((q) => q.text === 'from the future').length, 1, 'only the request within 5 minutes is answered');
  });
});

/** A feedback click's payload as Slack would never send it: no `container` and no `channel`. */
function feedbackClickWithoutWhere(responseUrl: string): string {
  const form = new URLSearchParams(
    blockActionsBody({
      user: 'U0NOWHERE',
      channel: 'C0NOWHERE',
      messageTs: '1700000000.000300',
      actionId: 'askdocs_feedback',
      value: 'up',
      elementType: 'feedback_buttons',
      responseUrl,
    }),
  );
  const payload = JSON.parse(form.get('payload') ?? '{}') as Record<string, unknown>;
  delete payload.container;
  delete payload.channel;
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

describe('Slack bot: interactivity askdocs does not handle', () => {
  let h: SlackHarness;
  const logs = capturedLogger('debug');
  const engine = new ScriptedEngine(() => ({ text: 'Rated answer [1].', citations: [pageSource(1, 'a.md', 'A')] }));
  /** What an operator would be alerted by: warnings and errors logged since line `from`. */
  const loud = (from: number) => logs.lines.slice(from).filter((line) => line.level !== 'debug' && line.level !== 'info');
  /** Sends a signed interactivity payload; `ms` is how long Slack waited for the ack. */
  const interact = async (body: string) => {
    const sent = await sendSigned(h.url, body, FORM, { signal: AbortSignal.timeout(10_000) });
    return { status: sent.status, ms: sent.answeredAt - sent.sentAt };
  };

  before(async () => {
    h = await startSlackHarness({ engine, app: { logger: logs.logger } });
  });
  after(async () => {
    await h.close();
  });

  it('shortcuts, a button with an unknown action_id, modals and option menus askdocs has none of are acked at once, quietly', async () => {
    const from = logs.lines.length;
    const channel = 'C0UNHANDLED';
    const user = { id: 'U0CLICK', team_id: FAKE_BOT.teamId };
    const interactivity = (payload: Record<string, unknown>) =>
      new URLSearchParams({ payload: JSON.stringify({ ...payload, team: { id: FAKE_BOT.teamId }, api_app_id: 'A0TEST' }) }).toString();
    const requests: Record<string, string> = {
      'global shortcut': shortcutBody({ type: 'shortcut', callbackId: 'old_shortcut', user: 'U0CLICK' }),
      'message shortcut': shortcutBody({
        type: 'message_action',
        callbackId: 'old_message_shortcut',
        user: 'U0CLICK',
        channel,
        responseUrl: h.api.responseUrl('message-shortcut'),
      }),
      'unknown button': blockActionsBody({
        user: 'U0CLICK',
        channel,
        messageTs: '1700000000.000200',
        actionId: 'some_other_button',
        blockId: 'some_other_block',
        value: 'x',
        responseUrl: h.api.responseUrl('unknown-button'),
      }),
      // askdocs opens no modals and has no menus with external options: these come only from a misconfigured app.
      'modal submitted': interactivity({
        type: 'view_submission',
        user,
        view: { id: 'V0OLD', callback_id: 'old_modal', state: { values: {} } },
      }),
      'modal closed': interactivity({ type: 'view_closed', user, view: { id: 'V0OLD', callback_id: 'old_modal' }, is_cleared: false }),
      'options requested': interactivity({ type: 'block_suggestion', user, action_id: 'old_menu', block_id: 'b', value: 'mil' }),
    };
    const acks: Record<string, { status: number; withinASecond: boolean }> = {};
    for (const [name, body] of Object.entries(requests)) {
      const { status, ms } = await interact(body);
      acks[name] = { status, withinASecond: ms < 1000 };
    }
    const expected = Object.fromEntries(Object.keys(requests).map((name) => [name, { status: 200, withinASecond: true }]));
    assert.deepEqual(acks, expected, 'acked at once, not after Bolt gives up at 3 s');
    // Past the 3 s Bolt would wait for an ack that never comes: nothing more is logged.
    await sleep(3200);
    assert.deepEqual(loud(from), [], 'no warnings or errors');
    assert.equal(engine.questions.length, 0);
    const shown = h.api.calls.filter((call) => call.method.startsWith('chat.') && call.args.channel === channel);
    assert.deepEqual(shown, [], 'nothing posted in the channel');
  });

  it("askdocs' own feedback buttons are still handled, acked once", async () => {
    const from = logs.lines.length;
    const channel = 'C0RATED';
    const text = `<@${FAKE_BOT.userId}> rate me`;
    const ts = h.api.addUserMessage({ channel, user: 'U0ASKER', text });
    await sendEvent(h.url, { type: 'app_mention', channel, user: 'U0ASKER', text, ts });
    await waitForSources(h.api, channel, ts);
    const answer = h.api.threadReplies(channel, ts).find((m) => m.streamed);
    const native = nativeFeedbackButtons(answer);
    assert.ok(answer && native);
    const click = await interact(
      blockActionsBody({
        user: 'U0VOTER',
        channel,
        messageTs: answer.ts,
        threadTs: ts,
        actionId: native.action_id,
        value: native.positive_button.value,
        elementType: 'feedback_buttons',
        responseUrl: h.api.responseUrl('rated'),
      }),
    );
    assert.equal(click.status, 200);
    await h.api.waitFor(() => ephemeralTexts(h.api, channel).some((t) => /Thanks for the feedback/.test(t)), 5000, 'thanks');
    assert.equal(h.feedback.list().find((r) => r.channelId === channel)?.vote, 'up');
    await sleep(200);
    assert.deepEqual(loud(from), [], 'acked once: no "ack called multiple times"');
  });

  it('a feedback click with no container or channel is acked and ignored with a warning, not a TypeError', async () => {
    const from = logs.lines.length;
    const click = await interact(feedbackClickWithoutWhere(h.api.responseUrl('nowhere')));
    assert.deepEqual({ status: click.status, withinASecond: click.ms < 1000 }, { status: 200, withinASecond: true });
    await sleep(300);
    const logged = logs.lines.slice(from);
    assert.deepEqual(
      logged.filter((line) => line.level === 'error'),
      [],
      'no error logged',
    );
    assert.doesNotMatch(JSON.stringify(logged), /TypeError|Cannot read properties/);
    assert.ok(
      logged.some((line) => line.level === 'warn' && /feedback click without a channel or message/.test(String(line.msg))),
      `a clear warning (got ${JSON.stringify(logged.map((line) => [line.level, line.msg]))})`,
    );
    assert.equal(h.feedback.list().filter((r) => r.userId === 'U0NOWHERE').length, 0, 'no vote recorded');
    assert.equal(ephemeralTexts(h.api, 'C0NOWHERE').length, 0);
  });
});

describe('Slack bot: channel allowlist and DMs', () => {
  let h: SlackHarness;
  const engine = new ScriptedEngine(() => ({ text: 'Allowed answer [1].', citations: [pageSource(1, 'a.md', 'A')] }));

  before(async () => {
    h = await startSlackHarness({ engine, env: { SLACK_ALLOWED_CHANNELS: 'C0ALLOWED' } });
  });
  after(async () => {
    await h.close();
  });

  it('a channel whose id starts with D is not a DM: the allowlist still applies', async () => {
    // Slack's DM ids start with D, but the event's channel_type is what says so.
    const channel = 'D0NOTADM';
    const slash = await sendSlashCommand(h.url, { text: 'sneaky', channel, user: 'U0SNEAK', responseUrl: h.api.responseUrl('sneak') });
    assert.equal(slash.status, 200);
    assert.match(slash.body, /I only answer questions in <#C0ALLOWED>/);
    const text = `<@${FAKE_BOT.userId}> sneaky mention`;
    const ts = h.api.addUserMessage({ channel, user: 'U0SNEAK', text });
    await sendEvent(h.url, { type: 'app_mention', channel, user: 'U0SNEAK', text, ts });
    await h.api.waitFor(() => ephemeralTexts(h.api, channel).some((t) => /I only answer questions in/.test(t)), 5000, 'the allowlist note');
    assert.equal(engine.questions.length, 0);
  });
});

describe('askdocs slack (real process): a signed `null` body', () => {
  const suite = slackProcessSuite('slack-hostile');

  it('answers 400 and the bot keeps serving, instead of exiting with a stack trace', async () => {
    const { api, workDir } = suite;
    const bot = await suite.start({ collection: 'slack_hostile', env: { FEEDBACK_DB: join(workDir, 'feedback.sqlite') } });
    const { run: running, port, eventsUrl: url } = bot;

    for (const [body, type] of [
      ['null', JSON_TYPE],
      ['payload=null', FORM],
    ]) {
      assert.equal(await statusOf(url, body!, type!), 400, `${body} is refused`);
    }
    await sleep(300);
    assert.equal(running.child.exitCode, null, `still running (stderr: ${running.stderr().slice(-800)})`);
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
    const ack = await sendSlashCommand(url, {
      text: 'still there?',
      channel: 'C0REAL',
      user: 'U0REAL',
      responseUrl: api.responseUrl('real'),
    });
    assert.equal(ack.status, 200);
    assert.doesNotMatch(running.stderr(), /ExitPending|at fail|TypeError/);
  });
});

/** Mention syntax Slack acts on: `<!channel>`, `<!here>`, `<@U…>`, `<!subteam^…>`, `<#C…>`, and bare @channel/@here/@everyone. */
const PING = /<(?:!(?:channel|here|everyone)|@[UW]|!subteam\^|#C)|(?<![\w\u200B])@(?:channel|here|everyone)\b/i;
const HOSTILE_ANSWER = 'Heads up <!channel> and <!here>: ask <@U0ADMIN> or <!subteam^S0OPS> in <#C0SECRET>, @everyone [1].';
const HOSTILE_SOURCE = pageSource(1, '<!channel> urgent.md', '@everyone <@U0ADMIN>', '<!here> now');

describe('Slack bot: mentions in answers and sources never ping', () => {
  for (const streaming of [true, false]) {
    describe(streaming ? 'streaming (chat.startStream / appendStream / stopStream)' : 'chat.update path', () => {
      let h: SlackHarness;
      // Small deltas, so mentions are cut across appends too.
      const engine = new ScriptedEngine(() => ({ text: HOSTILE_ANSWER, citations: [HOSTILE_SOURCE], chunkChars: 3, delayMs: 25 }));
      before(async () => {
        const api = await new FakeSlackApi().start();
        api.streaming = streaming;
        h = await startSlackHarness({ engine, api });
      });
      after(async () => {
        await h.close();
      });

      it('the answer text and the sources message (blocks and plain-text fallback) carry no live mention', async () => {
        const channel = streaming ? 'C0PINGS' : 'C0PINGU';
        const text = `<@${FAKE_BOT.userId}> who should I ask?`;
        const ts = h.api.addUserMessage({ channel, user: 'U0ASK', text });
        await sendEvent(h.url, { type: 'app_mention', channel, user: 'U0ASK', text, ts });
        await h.api.waitFor(() => h.api.threadReplies(channel, ts).find((m) => /Sources/.test(m.text)), 10_000, 'the sources message');

        const sent = h.api.calls.filter((call) => call.args.channel === channel && call.method !== 'conversations.replies');
        assert.ok(sent.some((call) => call.method === (streaming ? 'chat.appendStream' : 'chat.update')));
        for (const call of sent) {
          const chunks = (call.args.chunks as { type: string; text?: string }[] | undefined) ?? [];
          for (const field of [call.args.text, call.args.markdown_text, ...chunks.map((c) => c.text)]) {
            if (typeof field === 'string') assert.doesNotMatch(field, PING, `${call.method} sends a mention: ${JSON.stringify(field)}`);
          }
          assert.doesNotMatch(JSON.stringify(call.args.blocks ?? []), PING, `${call.method} blocks`);
        }
        // What the user reads is still the whole answer.
        const answer = h.api
          .threadReplies(channel, ts)
          .map((m) => h.api.visibleText(m))
          .join('\n')
          .replace(/\u200B/g, '');
        assert.match(
          answer.replace(/&lt;/g, '<').replace(/&gt;/g, '>'),
          /ask <@U0ADMIN> or <!subteam\^S0OPS> in <#C0SECRET>, @everyone \[1\]/,
        );
      });
    });
  }
});
