// Every scenario of issue 11 against the uplink state machine with traffic evidence, on a fake
// timeline (test/core/traffic-timeline.ts): what must go offline does so within 1 s, what is only
// slow or lossy never goes offline.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TrafficEvidence } from '../../src/core/evidence.ts';
import { rng } from './timeline.ts';
import { detectedAfter, runTraffic, type Line } from './traffic-timeline.ts';

const CUT = 20_000;
const offlineAt = (states: { state: string }[]) => states.filter((s) => s.state === 'offline').length;
const fine = (rtt = 20): Line['probe'] => () => rtt;
const cutAt = (at: number, before: Line['probe']): Line['probe'] => (t, j) => (t >= at ? null : before(t, j));

test('cut of an idle uplink: offline within 1 s (probe replies are its only traffic)', () => {
  const { states } = runTraffic(30_000, { probe: cutAt(CUT, fine()), rxPps: () => 0 });
  const d = detectedAfter(states, CUT);
  assert.ok(d !== null && d <= 1000, `detected after ${d} ms`);
});

test('cut of an idle uplink at 40 random phases: p95 within 1 s (probes spread over the interval, woken at the end of the wait)', () => {
  const r = rng(5);
  const ds: number[] = [];
  for (let i = 0; i < 40; i++) {
    const cut = 20_000 + Math.round(r() * 2000);
    const { states } = runTraffic(24_000, { probe: cutAt(cut, fine()), rxPps: () => 0 });
    ds.push(detectedAfter(states, cut) ?? Infinity);
  }
  ds.sort((a, b) => a - b);
  assert.ok(ds[Math.floor(ds.length * 0.95)]! <= 1000, ds.join(' '));
  assert.ok(ds[0]! >= 800, `never before an 800 ms RTT spike could answer: ${ds[0]}`);
});

test('cut of a busy uplink (a download): rx stops with it, offline within 1 s', () => {
  const { states } = runTraffic(30_000, { probe: cutAt(CUT, fine()), rxPps: (t) => (t < CUT ? 800 : 0) });
  const d = detectedAfter(states, CUT);
  assert.ok(d !== null && d <= 1000, `detected after ${d} ms`);
});

test('saturated upload with 1.2 s queueing for 60 s: degraded, never offline; online again after', () => {
  const bloat = (t: number) => t >= 10_000 && t < 70_000;
  const { states, uplink } = runTraffic(80_000, {
    probe: (t) => (bloat(t) ? 1200 : 20),
    rxPps: (t) => (bloat(t) ? 300 : 5), // the upload's acknowledgements
  });
  assert.is(offlineAt(states), 0, JSON.stringify(states));
  assert.ok(states.some((s) => s.state === 'degraded'), 'shown as degraded');
  assert.is(uplink.state, 'online');
});

test('without traffic evidence (the baseline) the same upload is a false failover', () => {
  const { states } = runTraffic(30_000, { probe: (t) => (t >= 10_000 ? 1200 : 20), rxPps: () => 300 }, { trafficEvidence: false });
  assert.ok(offlineAt(states) > 0);
});

test('an RTT spike to 800 ms for 30 s on an idle line: late replies keep it out of offline', () => {
  const { states, uplink } = runTraffic(60_000, { probe: (t) => (t >= 10_000 && t < 40_000 ? 800 : 20), rxPps: () => 0 });
  assert.is(offlineAt(states), 0, JSON.stringify(states));
  assert.is(uplink.state, 'online');
});

test('a cut during a saturated upload: rx and late replies stop, offline within 1 s', () => {
  const { states } = runTraffic(40_000, {
    // a probe waits 1480 ms in the upload queue, then crosses the line: after the cut it is lost
    probe: (t) => (t >= 10_000 ? (t + 1480 >= CUT ? null : 1500) : 20),
    rxPps: (t) => (t >= 10_000 && t < CUT ? 300 : 0),
  });
  const d = detectedAfter(states, CUT);
  assert.ok(d !== null && d <= 1000, `detected after ${d} ms`);
});

for (const way of ['upstream', 'downstream']) {
  test(`a one-way cut (${way} dead) during a download is detected like a cut`, () => {
    // upstream dead: requests never arrive, so nothing is answered or sent back; downstream dead:
    // whatever is sent back is lost. Either way the device receives nothing; it still sends.
    const { states } = runTraffic(30_000, { probe: cutAt(CUT, fine()), rxPps: (t) => (t < CUT ? 500 : 0) });
    const d = detectedAfter(states, CUT);
    assert.ok(d !== null && d <= 1000, `detected after ${d} ms`);
  });
}

test('a trickle of link-local chatter (2 packets/s) is no proof of life', () => {
  const { states } = runTraffic(30_000, { probe: cutAt(CUT, fine()), rxPps: () => 2 });
  const d = detectedAfter(states, CUT);
  assert.ok(d !== null && d <= 1000, `detected after ${d} ms`);
});

test('1 hour at 5 % loss in one direction and at 2 % in both: no offline', () => {
  const hour = 3_600_000;
  const r1 = rng(11);
  const one = runTraffic(hour, { probe: () => (r1() < 0.05 ? null : 20), rxPps: () => 0 });
  assert.is(offlineAt(one.states), 0);
  const r2 = rng(12);
  const two = runTraffic(hour, { probe: () => (r2() < 0.02 || r2() < 0.02 ? null : 20), rxPps: () => 0 });
  assert.is(offlineAt(two.states), 0);
});

test('evidence: stale samples and a counter that went backwards prove nothing', () => {
  const e = new TrafficEvidence();
  for (let t = 0; t <= 500; t += 100) e.sample(t, 0, t);
  assert.ok(e.alive(500));
  assert.is(e.alive(1000), null, 'no sample for 500 ms');
  e.sample(3, 0, 600);
  assert.is(e.alive(600), null);
  e.lateReply(700);
  assert.ok(e.alive(1100));
  assert.is(e.alive(1300), null);
});

test('a line known to be slow is alive on a trickle under the traffic floor; without late replies, or once nothing comes, it is not', () => {
  const e = new TrafficEvidence();
  e.minPackets = 11;
  e.trickleMin = 3;
  // 20 packets/s: 10 in 500 ms, under the floor of 11
  for (let t = 0; t <= 1500; t += 100) e.sample(2 * (t / 100), 0, t);
  assert.is(e.alive(1500), null, 'not slow: a trickle is not traffic');
  assert.is(e.trickleSince, 200, 'the trickle is seen all the same');
  e.lateReply(900);
  assert.match(e.alive(1500) ?? '', /slow, and 10 packets/);
  // it goes on; 3 s after the last late reply that line is not known to be slow any more
  for (let t = 1600; t <= 4100; t += 100) e.sample(2 * (t / 100), 0, t);
  assert.ok(e.alive(3900));
  assert.is(e.alive(4000), null);
  // a cut: nothing comes any more
  e.lateReply(4100);
  for (let t = 4200; t <= 4700; t += 100) e.sample(82, 0, t);
  assert.ok(e.alive(4500), 'the late reply at 4.1 s still counts');
  assert.is(e.alive(4700), null, 'nothing in the last 500 ms: not alive');
  assert.is(e.trickleSince, null);
});

test.run();
