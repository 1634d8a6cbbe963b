import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createKeepalive, pingTimeoutMs } from '../../src/mqtt/keepalive.ts';
import { FakeClock } from '../fakes/clock.ts';

function setup(keepaliveMs: number) {
  const clock = new FakeClock();
  const pings: number[] = [];
  const timeouts: number[] = [];
  const k = createKeepalive(clock, keepaliveMs, { sendPing: () => pings.push(clock.nowMs()), onTimeout: (ms) => timeouts.push(ms) });
  return { clock, pings, timeouts, k };
}

test('pings every interval; an answer (any packet) clears the deadline', () => {
  const { clock, pings, timeouts, k } = setup(10_000);
  k.start();
  clock.advance(10_000);
  k.alive();
  clock.advance(10_000);
  k.alive();
  assert.equal(pings, [10_000, 20_000]);
  assert.equal(timeouts, []);
});

test('no answer within the ping timeout is reported once, with the timeout', () => {
  const { clock, timeouts, k } = setup(10_000);
  k.start();
  clock.advance(10_000 + 4_999);
  assert.equal(timeouts, []);
  clock.advance(1);
  assert.equal(timeouts, [5_000]);
});

test('stop ends pings; keepalive 0 never pings', () => {
  const a = setup(10_000);
  a.k.start();
  a.k.stop();
  a.clock.advance(60_000);
  assert.equal(a.pings, []);
  const b = setup(0);
  b.k.start();
  b.clock.advance(60_000);
  assert.equal(b.pings, []);
  assert.is(b.clock.pendingCount(), 0);
});

test('ping timeout is half the interval, within 1..10 s', () => {
  assert.equal([pingTimeoutMs(1000), pingTimeoutMs(10_000), pingTimeoutMs(60_000)], [1000, 5000, 10_000]);
});

test.run();
