import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PARAMS, rng, runTimeline } from './timeline.ts';

const healthy = () => 20;

test('a hard cut is declared offline after `down` failed rounds, with the detection time', () => {
  const { seen } = runTimeline(100, (r) => (r >= 50 ? null : 20));
  assert.equal(seen.map((s) => [s.from, s.to, s.round]), [['unknown', 'online', 4], ['online', 'offline', 52]]);
  const off = seen[1]!;
  // first lost probe sent at round 50 (10 000 ms); decided at the deadline of round 52
  assert.is(off.detectMs, 52 * 200 + 300 + 25 - 50 * 200);
  assert.match(off.reason, /3 failed rounds: 0\/2 targets answered/);
});

test('recovery needs `up` consecutive good rounds; one lost round restarts the count', () => {
  const { seen } = runTimeline(120, (r) => (r >= 20 && r < 40) || r === 43 ? null : 20);
  const tr = seen.map((s) => [s.to, s.round]);
  // 40,41,42 good, 43 lost, 44..48 good → online at 48
  assert.equal(tr, [['online', 4], ['offline', 22], ['online', 48]]);
});

test('5 % random loss on both targets never fails the uplink over in 10 minutes', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const rand = rng(seed);
    const { seen, uplink } = runTimeline(3000, () => (rand() < 0.05 ? null : 20));
    assert.equal(seen.map((s) => s.to), ['online'], `seed ${seed}`);
    assert.ok(uplink.lossPct()! < 20);
  }
});

test('20 % loss with quality checks marks the uplink degraded, not offline', () => {
  const rand = rng(7);
  const { seen, uplink } = runTimeline(600, () => (rand() < 0.2 ? null : 20), { checkQuality: true, failureLossPct: 15, recoveryLossPct: 5 });
  assert.ok(seen.some((s) => s.to === 'degraded' && /loss/.test(s.reason)));
  assert.is.not(uplink.state, 'online');
});

test('50 % loss fails over, and flap damping makes each recovery wait longer (bounded)', () => {
  const rand = rng(11);
  const needs: number[] = [];
  const { seen, uplink } = runTimeline(3000, () => (rand() < 0.5 ? null : 20), {}, undefined, (u) => {
    if (u.state === 'offline') needs.push(u.requiredUp());
  });
  const outages = seen.filter((s) => s.to === 'offline').length;
  assert.ok(outages >= 2, `went offline ${outages} times`);
  assert.ok(Math.max(...needs) > PARAMS.up, 'recovery was damped');
  assert.ok(Math.max(...needs) <= PARAMS.maxHoldMs / PARAMS.intervalMs, 'hold-down is bounded');
  assert.ok(uplink.flaps >= 1);
});

test('one dead target of two: online with reliability 1, offline with reliability 2', () => {
  const oneDead = (r: number, t: number) => (t === 1 && r >= 10 ? null : 20);
  assert.equal(runTimeline(100, oneDead).seen.map((s) => s.to), ['online']);
  const strict = runTimeline(100, oneDead, { reliability: 2 }).seen;
  assert.equal(strict.map((s) => [s.to, s.round]), [['online', 4], ['offline', 12]]);
  assert.match(strict[1]!.reason, /1\/2 targets answered \(need 2\)/);
});

test('latency rising past the failure level degrades; it recovers only below the recovery level', () => {
  const rtt = (r: number) => (r < 60 ? 30 : r < 200 ? 1500 : r < 300 ? 700 : 100);
  const { seen } = runTimeline(400, rtt, { checkQuality: true, windowRounds: 20 });
  const tr = seen.map((s) => [s.to, s.round]);
  assert.is(tr[0]![0], 'online');
  const deg = seen.find((s) => s.to === 'degraded')!;
  assert.ok(deg.round > 60 && deg.round < 80, `degraded at ${deg.round}`);
  const back = seen.filter((s) => s.to === 'online').pop()!;
  // 700 ms is between recovery (500) and failure (1000): stays degraded until the 100 ms phase
  assert.ok(back.round >= 300 && back.round < 330, `recovered at ${back.round}`);
});

test('flapping on a schedule is held down longer each time, then forgiven after a stable period', () => {
  // 1 s down / 3 s up, ten times, then healthy for long
  const flapping = (r: number) => (r < 200 && r % 20 < 5 ? null : 20);
  const { seen, uplink } = runTimeline(2000, flapping, { flapWindowMs: 60_000 });
  const offs = seen.filter((s) => s.to === 'offline').length;
  const ons = seen.filter((s) => s.to === 'online').length;
  assert.ok(offs < 10, `damping absorbed some flaps (${offs} outages)`);
  assert.ok(seen.some((s) => s.to === 'online' && /damped/.test(s.reason)));
  assert.is(uplink.state, 'online');
  assert.ok(ons >= 2);
  assert.is(uplink.flaps, 0, 'a stable flap window forgets the flaps');
});

test('a dead prober makes the state unknown, never online, until rounds arrive again', () => {
  const { uplink } = runTimeline(20, healthy);
  assert.is(uplink.state, 'online');
  const t = uplink.proberDied('fping exited with status 1', 5000);
  assert.equal(t && [t.from, t.to], ['online', 'unknown']);
  assert.is(uplink.state, 'unknown');
  assert.is(uplink.brokenSince, 5000);
  uplink.proberStarted(6000);
  let state = uplink.state;
  for (let r = 0; r < 5; r++) for (const tg of uplink.targets) for (const tr of uplink.result(tg, r, 20, 6000 + r * 200, 6020 + r * 200)) state = tr.to;
  assert.is(state, 'online');
  assert.is(uplink.brokenSince, null);
});

test('results out of order and duplicates close rounds in sequence order', () => {
  const { uplink } = runTimeline(10, healthy);
  const a = uplink.targets[0]!;
  const b = uplink.targets[1]!;
  assert.equal(uplink.result(b, 11, 20, 2200, 2220), []);
  assert.equal(uplink.result(a, 11, 20, 2200, 2220), []); // round 10 still open
  assert.equal(uplink.result(a, 11, 20, 2200, 2221), []); // duplicate ignored
  uplink.result(a, 10, null, 2000, 2325);
  uplink.result(b, 10, null, 2000, 2325);
  assert.is(uplink.failStreak, 0, 'round 10 failed, then round 11 was good');
  assert.is(uplink.goodStreak, 1);
});

test.run();
