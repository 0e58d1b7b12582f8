/**
 * Preloaded (`node --import`) into `askdocs slack` by test/ops-shutdown.test.ts: sends the
 * process SIGTERM at the moment the CLI entry removes its own SIGTERM listener (when it hands
 * signal handling over to the bot's lifecycle), and lets the kernel deliver it before the
 * removal goes on. The signal is then pending, not yet dispatched: what a SIGTERM arriving
 * while the process is busy loading modules looks like.
 */
const remove = process.removeListener;
let sent = false;
process.removeListener = function removeListener(event, listener) {
  if (event === 'SIGTERM' && !sent) {
    sent = true;
    process.kill(process.pid, 'SIGTERM');
    const until = Date.now() + 50;
    while (Date.now() < until) {
      // Busy: the signal reaches libuv's handler, but no JavaScript listener yet.
    }
  }
  return remove.call(this, event, listener);
};
