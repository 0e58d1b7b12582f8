/**
 * What `askdocs slack` in HTTP mode serves on PORT, the port Slack (so the internet)
 * reaches: /slack/events and the liveness probe, not the readiness report (collection,
 * models) or the metrics, which stay on HEALTH_PORT.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeSlackApi } from './fakes/slack-api.ts';
import { startTestMilvus, type TestMilvus } from './support/milvus.ts';
import { type SlackProcess, startSlackProcess } from './support/slack-process.ts';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('askdocs slack (real process, HTTP mode): ports', () => {
  let milvus: TestMilvus;
  let api: FakeSlackApi;
  let workDir: string;
  let bot: SlackProcess | undefined;

  before(async () => {
    [milvus, api] = await Promise.all([startTestMilvus(), new FakeSlackApi().start()]);
    workDir = await mkdtemp(join(tmpdir(), 'askdocs-slack-ports-'));
  });
  after(async () => {
    bot?.run.kill();
    await Promise.all([milvus?.stop(), api?.stop()]);
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('keeps /readyz and /metrics off the public port when HEALTH_PORT is another port', async () => {
    const healthPort = await freePort();
    bot = await startSlackProcess({ api, milvus, collection: 'slack_ports', cwd: workDir, env: { HEALTH_PORT: String(healthPort) } });
    const status = async (port: number, path: string) => (await fetch(`http://127.0.0.1:${port}${path}`)).status;
    assert.equal(await status(bot.port, '/healthz'), 200, 'a load balancer can still check the public port');
    assert.equal(await status(bot.port, '/readyz'), 404);
    assert.equal(await status(bot.port, '/metrics'), 404);
    assert.equal(await status(healthPort, '/metrics'), 200);
    assert.notEqual(await status(healthPort, '/readyz'), 404);
    assert.match(bot.run.stderr(), new RegExp(`health on :${healthPort}, /healthz also on the same port`));
  });
});
