/**
 * The real bot as it runs in production: `askdocs discord` as a child process of
 * bin/askdocs.js (real Milvus Lite, the local embedding model, the engine, discord.js)
 * against the fake Discord and a slow fake LLM, with secret values in every secret
 * setting and LOG_LEVEL=trace. Checks what operators rely on:
 * - the deployment files' probes and health-check commands against its real endpoints;
 * - /metrics after real questions;
 * - SIGTERM with an answer streaming: the answer completes and the process exits 0;
 * - no secret in any output line; one request id per question.
 * And `askdocs ask` at trace level, the other real command that talks to the LLM.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type FakeDiscord, startFakeDiscord } from './fakes/discord/index.ts';
import { type FakeLlm, startFakeLlm } from './fakes/llm-server.ts';
import { ingestInto, startTestMilvus, type TestMilvus } from './support/milvus.ts';
import {
  composeHealthcheckUrl,
  dockerHealthcheckCommand,
  loadCompose,
  loadDockerfile,
  loadKubernetes,
} from './support/ops-deploy-files.ts';
import { baseEnv, type ChildRun, runTs } from './support/ops-process.ts';
import { parsePrometheusText, sampleValue } from './support/ops-prometheus.ts';

const COLLECTION = 'ops_production';

/** Distinctive values, so any appearance in the output is a leak. */
const SECRETS = {
  DEEPSEEK_API_KEY: 'sk-opsLEAKCHECK-deepseek-7f3a9c',
  DISCORD_TOKEN: 'MTE0opsLEAKCHECK.discord-token.Gx81qZ',
  SLACK_BOT_TOKEN: 'xoxb-000-111-opsLEAKCHECKslackbot',
  SLACK_APP_TOKEN: 'xapp-1-A0-opsLEAKCHECKslackapp',
  SLACK_SIGNING_SECRET: 'opsLEAKCHECK-signing-5e2d',
  EMBEDDING_API_KEY: 'sk-opsLEAKCHECK-embedding-19b0',
  MILVUS_TOKEN: 'root:opsLEAKCHECK-milvus-pw',
};

const REPLY =
  'Milvus Lite keeps its data in a local folder on the same machine [1]. It starts and stops with the ' +
  'application, so there is no server to operate [1]. Set MILVUS_URI to a local path to use it [1].';

function assertNoSecrets(output: string, where: string): void {
  for (const [name, value] of Object.entries(SECRETS)) {
    assert.ok(!output.includes(value), `${where}: the value of ${name} appears in the output`);
  }
  assert.ok(!output.includes('opsLEAKCHECK'), `${where}: part of a secret appears in the output`);
}

/** A port nothing listens on, to prove a health check can fail. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

describe('askdocs in production (real processes)', () => {
  let milvus: TestMilvus;
  let llm: FakeLlm;
  let discord: FakeDiscord;
  let workDir: string;
  const children: ChildRun[] = [];

  before(async () => {
    [milvus, llm, discord] = await Promise.all([
      startTestMilvus(),
      startFakeLlm({ apiKey: SECRETS.DEEPSEEK_API_KEY, behaviour: { respond: () => REPLY } }),
      startFakeDiscord({ token: SECRETS.DISCORD_TOKEN }),
    ]);
    workDir = await mkdtemp(join(tmpdir(), 'askdocs-ops-prod-'));
    const docs = join(workDir, 'docs');
    await mkdir(docs);
    await writeFile(
      join(docs, 'milvus-lite.md'),
      '# Milvus Lite\n\nMilvus Lite is a lightweight Milvus that keeps its data in a local folder. It starts ' +
        'and stops with the application, so there is no separate server to run. Set MILVUS_URI to a local path.\n',
    );
    await writeFile(
      join(docs, 'cluster.md'),
      '# Milvus cluster\n\nA Milvus cluster runs on Kubernetes with query nodes, data nodes and coordinators.\n',
    );
    await ingestInto(milvus, COLLECTION, docs);
  });

  after(async () => {
    for (const child of children) child.kill();
    await Promise.all([llm?.close(), discord?.close(), milvus?.stop()]);
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  function askdocs(args: string[], extra: Record<string, string> = {}): ChildRun {
    const run = runTs(
      'bin/askdocs.js',
      args,
      baseEnv({
        ...SECRETS,
        MILVUS_URI: `http://${milvus.address}`,
        MILVUS_COLLECTION: COLLECTION,
        LLM_BASE_URL: llm.url,
        LLM_MAX_RETRIES: '0',
        DISCORD_APPLICATION_ID: discord.applicationId,
        DISCORD_API_URL: discord.apiUrl,
        FEEDBACK_DB: join(workDir, 'feedback.sqlite'),
        HEALTH_PORT: '0',
        SHUTDOWN_TIMEOUT_MS: '20000',
        LOG_LEVEL: 'trace',
        ...extra,
      }),
      { cwd: workDir },
    );
    children.push(run);
    return run;
  }

  async function answered(content: string) {
    const user = discord.addUser(`user-${Math.random().toString(36).slice(2, 8)}`);
    const question = discord.userSays({ user, channel: discord.general, content, mentionBot: true });
    const withButtons = () => {
      const thread = discord.threadOf(question);
      return thread ? discord.visibleMessages(thread).find((m) => m.components.length > 0) : undefined;
    };
    return { question, done: () => discord.waitFor(withButtons, { timeoutMs: 30_000, what: 'the answer with sources' }) };
  }

  test('the Discord bot: probes, metrics, SIGTERM mid-answer, no secrets in trace logs', async () => {
    const bot = askdocs(['discord']);
    const healthPort = await discord.waitFor(() => /health on :(\d+)/.exec(bot.stderr())?.[1], {
      timeoutMs: 60_000,
      what: `the bot to start (stderr: ${bot.stderr().slice(-1000)})`,
    });
    const health = `http://127.0.0.1:${healthPort}`;

    // 1. The Kubernetes probes, against the real endpoints.
    const deployment = loadKubernetes().documents.find((d) => d.metadata?.name === 'askdocs-discord');
    const container = deployment.spec.template.spec.containers[0];
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
      const response = await fetch(`${health}${container[probe].httpGet.path}`);
      assert.equal(response.status, 200, `${probe} ${container[probe].httpGet.path}: ${await response.text()}`);
    }

    // 2. The image's HEALTHCHECK and the compose healthcheck, run as Docker would run them.
    const dockerCheck = dockerHealthcheckCommand(loadDockerfile());
    const runCheck = (command: string[], port: string) =>
      spawnSync(command[0]!, command.slice(1), { env: { PATH: process.env.PATH, HEALTH_PORT: port }, timeout: 15_000 }).status;
    assert.deepEqual(dockerCheck.slice(0, 2), ['node', '-e']);
    assert.equal(runCheck(dockerCheck, healthPort), 0, 'Dockerfile HEALTHCHECK passes against the bot');
    assert.equal(runCheck(dockerCheck, String(await closedPort())), 1, 'and fails when nothing answers');
    const composeService = loadCompose().services.find((s) => s.name === 'discord')!;
    const composeUrl = composeHealthcheckUrl(composeService);
    const composeCheck = (composeService.healthcheck!.test as string[]).slice(1);
    const script = composeCheck.at(-1)!.replace(composeUrl.host, `127.0.0.1:${healthPort}`);
    assert.equal(runCheck([...composeCheck.slice(0, -1), script], healthPort), 0, 'compose healthcheck passes');

    // 3. A first question, answered in full; /metrics counts it.
    const first = await answered('Where does Milvus Lite keep its data?');
    const firstAnswer = await first.done();
    assert.ok(firstAnswer);
    const thread = discord.threadOf(first.question)!;
    assert.ok(
      discord.visibleMessages(thread).some((m) => m.content.includes('no server to operate')),
      'the answer text reached Discord',
    );
    const scraped = await fetch(`${health}/metrics`);
    const families = parsePrometheusText(await scraped.text());
    assert.equal(sampleValue(families, 'askdocs_questions_total', { platform: 'discord', outcome: 'answered' }), 1);
    assert.equal(sampleValue(families, 'askdocs_first_token_seconds_count', { platform: 'discord' }), 1);
    assert.ok((sampleValue(families, 'askdocs_llm_tokens_total', { kind: 'completion' }) ?? 0) > 0);

    // 4. A second question, with the LLM slowed down: SIGTERM while it streams.
    llm.setBehaviour({ tokensPerSecond: 8 });
    const chatsBefore = llm.chatRequests().length;
    const second = await answered('Does Milvus Lite need a separate server?');
    await discord.waitFor(() => llm.chatRequests().length > chatsBefore, { what: 'the LLM call of the second answer' });
    bot.child.kill('SIGTERM');

    let readyz = await fetch(`${health}/readyz`);
    while (readyz.status === 200) readyz = await fetch(`${health}/readyz`);
    assert.equal(readyz.status, 503);
    assert.equal(((await readyz.json()) as { status: string }).status, 'draining');

    await second.done();
    const secondThread = discord.threadOf(second.question)!;
    assert.ok(
      discord.visibleMessages(secondThread).some((m) => m.content.includes('Set MILVUS_URI to a local path')),
      'the answer in flight was delivered in full',
    );
    assert.deepEqual(await bot.exited, { code: 0, signal: null }, bot.stderr().slice(-2000));
    llm.setBehaviour({ tokensPerSecond: 0 });

    // 5. Trace-level logs: plenty of them, none with a secret, one request id per question.
    const logs = bot.logs();
    assert.ok(
      logs.some((line) => line.level === 'trace' || line.level === 'debug'),
      'trace level is on',
    );
    assertNoSecrets(bot.stdout() + bot.stderr(), 'askdocs discord');
    // Retrieval, the engine and the Discord adapter each log about the question: all with its id.
    const questionLines = logs.filter((line) => line.msg === 'retrieved' || line.msg === 'answered');
    assert.ok(questionLines.length >= 4);
    for (const line of questionLines) assert.match(String(line.requestId), /^[0-9a-f]{8}$/, JSON.stringify(line));
    const byId = new Map<string, Record<string, unknown>[]>();
    for (const line of questionLines) byId.set(line.requestId as string, [...(byId.get(line.requestId as string) ?? []), line]);
    assert.equal(byId.size, 2, 'one request id per question');
    for (const [id, lines] of byId) {
      assert.deepEqual([...new Set(lines.map((l) => l.msg))].sort(), ['answered', 'retrieved'], `request ${id}`);
    }
  });

  test('askdocs ask at trace level logs no secret', async () => {
    const run = askdocs(['ask', 'Where does Milvus Lite keep its data?']);
    const { code } = await run.exited;
    assert.equal(code, 0, run.stderr().slice(-2000));
    assert.match(run.stdout(), /no server to operate/);
    assert.ok(run.logs().length > 3, 'trace logging is on');
    assertNoSecrets(run.stdout() + run.stderr(), 'askdocs ask');
    assert.equal(llm.lastChatRequest()?.headers.authorization, `Bearer ${SECRETS.DEEPSEEK_API_KEY}`, 'the key was really in use');
  });
});
