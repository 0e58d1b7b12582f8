import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeenKeys } from '../src/chat/dedupe.ts';
import { ChatLimits } from '../src/chat/limits.ts';

describe('ChatLimits', () => {
  it('refuses a second concurrent question from the same user, then admits after release', async () => {
    const limits = new ChatLimits({ userMaxConcurrent: 1, userQuestionsPerMinute: 10, channelMaxConcurrent: 5 });
    const first = await limits.admit({ userId: 'U1', channelId: 'C1' });
    assert.equal(first.ok, true);
    const second = await limits.admit({ userId: 'U1', channelId: 'C1' });
    assert.equal(second.ok, false);
    if (!second.ok) {
      assert.equal(second.reason, 'user_busy');
      assert.match(second.message, /previous question/);
    }
    // Another user is not affected.
    const other = await limits.admit({ userId: 'U2', channelId: 'C1' });
    assert.equal(other.ok, true);
    if (first.ok) {
      first.release();
      first.release(); // idempotent
    }
    const third = await limits.admit({ userId: 'U1', channelId: 'C1' });
    assert.equal(third.ok, true);
    assert.equal(limits.inFlight(), 2);
  });

  it('limits concurrent questions per channel', async () => {
    const limits = new ChatLimits({ userMaxConcurrent: 1, userQuestionsPerMinute: 10, channelMaxConcurrent: 2 });
    assert.equal((await limits.admit({ userId: 'U1', channelId: 'C1' })).ok, true);
    assert.equal((await limits.admit({ userId: 'U2', channelId: 'C1' })).ok, true);
    const third = await limits.admit({ userId: 'U3', channelId: 'C1' });
    assert.equal(third.ok ? 'ok' : third.reason, 'channel_busy');
    assert.equal((await limits.admit({ userId: 'U3', channelId: 'C2' })).ok, true);
  });

  it('limits questions per user per minute with a wait time in the message', async () => {
    const limits = new ChatLimits({ userMaxConcurrent: 5, userQuestionsPerMinute: 2, channelMaxConcurrent: 5 });
    for (let i = 0; i < 2; i++) {
      const admitted = await limits.admit({ userId: 'U1', channelId: 'C1' });
      assert.equal(admitted.ok, true);
      if (admitted.ok) admitted.release();
    }
    const limited = await limits.admit({ userId: 'U1', channelId: 'C1' });
    assert.equal(limited.ok, false);
    if (!limited.ok) {
      assert.equal(limited.reason, 'user_rate');
      assert.match(limited.message, /wait \d+ s/);
    }
  });

  it('does not spend the per-minute allowance on questions refused for concurrency', async () => {
    const limits = new ChatLimits({ userMaxConcurrent: 1, userQuestionsPerMinute: 2, channelMaxConcurrent: 5 });
    const first = await limits.admit({ userId: 'U1', channelId: 'C1' });
    for (let i = 0; i < 5; i++) assert.equal((await limits.admit({ userId: 'U1', channelId: 'C1' })).ok, false);
    if (first.ok) first.release();
    assert.equal((await limits.admit({ userId: 'U1', channelId: 'C1' })).ok, true);
  });
});

describe('SeenKeys', () => {
  it('reports a key as new only once while it lives', () => {
    let now = 0;
    const seen = new SeenKeys({ ttlMs: 1000, maxKeys: 100, now: () => now });
    assert.equal(seen.firstSeen('Ev1'), true);
    assert.equal(seen.firstSeen('Ev1'), false);
    now = 999;
    assert.equal(seen.has('Ev1'), true);
    now = 1000;
    assert.equal(seen.firstSeen('Ev1'), true, 'expired keys are new again');
  });

  it('stays bounded, dropping the oldest keys first', () => {
    const seen = new SeenKeys({ ttlMs: 60_000, maxKeys: 3 });
    for (const key of ['a', 'b', 'c', 'd']) seen.add(key);
    assert.equal(seen.size, 3);
    assert.equal(seen.has('a'), false);
    assert.equal(seen.has('d'), true);
  });
});
