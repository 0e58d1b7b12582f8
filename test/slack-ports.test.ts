/**
 * What `askdocs slack` in HTTP mode serves on PORT, the port Slack (so the internet)
 * reaches: /slack/events and the liveness probe, not the readiness report (collection,
 * models) or the metrics, which stay on HEALTH_PORT.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { slackProcessSuite } from './support/slack-process.ts';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('askdocs slack (real process, HTTP mode): ports', () => {
  const suite = slackProcessSuite('slack-ports');

  it('keeps /readyz and /metrics off the public port when HEALTH_PORT is another port', async () => {
    const healthPort = await freePort();
    const bot = await suite.start({ collection: 'slack_ports', env: { HEALTH_PORT: String(healthPort) } });
    const status = async (port: number, path: string) => (await fetch(`http://127.0.0.1:${port}${path}`)).status;
    assert.equal(await status(bot.port, '/healthz'), 200, 'a load balancer can still check the public port');
    assert.equal(await status(bot.port, '/readyz'), 404);
    assert.equal(await status(bot.port, '/metrics'), 404);
    assert.equal(await status(healthPort, '/metrics'), 200);
    assert.notEqual(await status(healthPort, '/readyz'), 404);
    assert.match(bot.run.stderr(), new RegExp(`health on :${healthPort}, /healthz also on the same port`));
  });
});
