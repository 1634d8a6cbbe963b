// A running flow gets its uplink back fast, and probes go quiet while user traffic proves the line
// alive (issue 11, goals 1, 3 and 4), on the fake timeline of test/core/active-timeline.ts: probes,
// the device's counters and the quick probes of a confirmation, all driven through the core.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rng } from './timeline.ts';
import { offlineAfter, probeRate, runActive, type ActiveLine } from './active-timeline.ts';

/** the decision must leave room for the switch (≤ 20 ms) inside the 0.5 s an active flow may wait */
const ACTIVE_DECISION_MS = 450;
const fine = (rtt = 20): ActiveLine['probe'] => () => rtt;
const cutProbe = (cut: number, rtt = 20): ActiveLine['probe'] => (t) => (t >= cut ? null : rtt);
/** the lab's 10 ms UDP stream: 100 packets/s each way while the line carries it */
const stream = (until = Infinity) => ({ rxPps: (t: number) => (t < until ? 100 : 0), txPps: () => 100 });
const offlines = (r: ReturnType<typeof runActive>) => r.states.filter((s) => s.state === 'offline').length;

test('a running 10 ms stream whose uplink is cut: offline within 0.45 s, at 20 random phases', () => {
  const r0 = rng(7);
  const seen: number[] = [];
  for (let i = 0; i < 20; i++) {
    const cut = 20_000 + Math.round(r0() * 2000);
    const run = runActive(24_000, { probe: cutProbe(cut), ...stream(cut) }, {}, Math.round(r0() * 99));
    const d = offlineAfter(run, cut);
    assert.ok(d !== null && d <= ACTIVE_DECISION_MS, `cut at ${cut}: offline after ${d} ms (${JSON.stringify(run.states)})`);
    assert.match(run.states.find((s) => s.state === 'offline')!.reason, /traffic stopped/);
    seen.push(d!);
  }
  assert.ok(Math.max(...seen) - Math.min(...seen) > 20, 'phases differ');
});

test('a flow that started 0.7 s before the cut (still probing fast) is also back within 0.45 s', () => {
  const cut = 20_700;
  const run = runActive(24_000, { probe: cutProbe(cut), rxPps: (t) => (t >= 20_000 && t < cut ? 100 : 0), txPps: (t) => (t >= 20_000 ? 100 : 0) });
  assert.is(run.rates.length, 0, 'never slowed down');
  const d = offlineAfter(run, cut);
  assert.ok(d !== null && d <= ACTIVE_DECISION_MS, `offline after ${d} ms`);
});

test('one-way cuts during a stream (upstream or downstream dead): the device receives nothing, offline within 0.45 s', () => {
  for (const way of ['upstream', 'downstream']) {
    const cut = 20_345;
    // upstream dead: nothing arrives, nothing is answered; downstream dead: answers are dropped.
    // Either way it keeps sending and receives nothing.
    const run = runActive(24_000, { probe: cutProbe(cut), rxPps: (t) => (t < cut ? 100 : 0), txPps: () => 100 });
    const d = offlineAfter(run, cut);
    assert.ok(d !== null && d <= ACTIVE_DECISION_MS, `${way}: offline after ${d} ms`);
  }
});

test('an idle uplink keeps today\'s probe rate; a busy one sends at most 1 probe packet per second', () => {
  const idle = runActive(30_000, { probe: fine(), rxPps: () => 0, txPps: () => 0 });
  assert.is(idle.rates.length, 0);
  assert.ok(probeRate(idle, 5_000, 30_000) >= 9.9, `idle: ${probeRate(idle, 5_000, 30_000)}/s`);
  const busy = runActive(60_000, { probe: fine(), ...stream() });
  assert.is(busy.rates[0]?.rate, 'slow');
  // once the traffic has flowed for a second (BUSY_ENTER_MS): the steady rate
  const rate = probeRate(busy, 2_000, 60_000);
  assert.ok(rate <= 1, `busy: ${rate.toFixed(2)} probe packets/s`);
  assert.is(offlines(busy), 0);
});

test('an idle line\'s own probe replies are not traffic: 4 targets every 200 ms (20 replies/s) stay fast and idle', () => {
  // found beside the real mwan3track with mwan3's 4 shipped track_ips: the replies alone reached
  // the 20 packets/s floor, so an idle line counted as busy (slow probing, a stall on a cut)
  const idle = runActive(30_000, { probe: fine(), rxPps: () => 0, txPps: () => 0 }, {}, 0, 4);
  assert.is(idle.rates.length, 0, JSON.stringify(idle.rates));
  assert.ok(probeRate(idle, 5_000, 30_000) >= 19.9, `${probeRate(idle, 5_000, 30_000)}/s`);
  // so its cut is found by the rounds, after the idle line's wait for late replies
  const cut = 20_000;
  const run = runActive(24_000, { probe: cutProbe(cut), rxPps: () => 0, txPps: () => 0 }, {}, 0, 4);
  const off = run.states.find((x) => x.state === 'offline')!;
  assert.not.match(off.reason, /traffic stopped/);
  const d = offlineAfter(run, cut)!;
  assert.ok(d >= 810 && d <= 1000, `offline after ${d} ms`);
  // and user traffic on top of them still counts
  const busy = runActive(30_000, { probe: fine(), ...stream() }, {}, 0, 4);
  assert.is(busy.rates[0]?.rate, 'slow');
});

test('a flow 3 s after another one ended is probed slowly after its first second too', () => {
  // two 20 s flows with 3 s between them: fast probing in the gap (the line is idle), slow again
  // at once in the second flow, not only 10 s after the first one's end
  const on = (t: number) => (t >= 5_000 && t < 25_000) || (t >= 28_000 && t < 48_000);
  const run = runActive(50_000, { probe: fine(), rxPps: (t) => (on(t) ? 100 : 0), txPps: (t) => (on(t) ? 100 : 0) });
  assert.equal(run.rates.map((r) => r.rate), ['slow', 'fast', 'slow', 'fast']);
  const second = run.rates[2]!.at;
  assert.ok(second >= 29_000 && second <= 29_300, `slow again at ${second}`);
  assert.ok(probeRate(run, 31_000, 47_000) <= 1, `second flow: ${probeRate(run, 31_000, 47_000).toFixed(2)}/s`);
  assert.is(offlines(run), 0);
});

test('bursty traffic rations slow probing: 3 starts back to back, then one per 10 s (two fping starts each)', () => {
  // 2 s of traffic every 4 s for 10 minutes: 150 bursts, each long enough to slow down in
  const burst = (t: number) => t >= 10_000 && t % 4000 < 2000;
  const minutes = 10;
  const run = runActive(10_000 + minutes * 60_000, { probe: fine(), rxPps: (t) => (burst(t) ? 300 : 0), txPps: (t) => (burst(t) ? 150 : 0) });
  const starts = run.rates.filter((r) => r.rate === 'slow').map((r) => r.at);
  // the bucket: SLOW_ENTRY_BURST at once, then one per SLOW_REENTER_MS; so from any start to any
  // later one there are at most 3 + (time between) / 10 s starts
  assert.equal(starts.slice(0, 3).map((t) => Math.floor(t / 4000)), [3, 4, 5], `the first three bursts: ${starts.slice(0, 3)}`);
  for (let i = 0; i < starts.length; i++) {
    for (let j = i + 1; j < starts.length; j++) {
      assert.ok(j - i + 1 <= 3 + (starts[j]! - starts[i]!) / 10_000, `${j - i + 1} starts from ${starts[i]} to ${starts[j]}`);
    }
  }
  // and the bursts do get slow probing at that pace (one per 10 s, each waiting for the next burst)
  assert.ok(starts.length >= 3 + minutes * 4 && starts.length <= 3 + minutes * 6, `${starts.length} slow starts in ${minutes} min`);
  // every start is left again once its burst ends: fping restarts ≤ 2 per start
  assert.ok(run.rates.length <= 2 * starts.length, `${run.rates.length} rate changes`);
  assert.is(offlines(run), 0);
  assert.is(run.finalState, 'online');
});

test('a download that ends on its own: one confirmation answers, no offline, fast probing again', () => {
  const run = runActive(30_000, { probe: fine(), rxPps: (t) => (t < 20_000 ? 800 : 0), txPps: (t) => (t < 20_000 ? 400 : 0) });
  assert.is(offlines(run), 0);
  assert.is(run.confirms.length, 1);
  assert.ok(run.confirms[0]!.answered! >= 1);
  assert.is(run.rates.at(-1)!.rate, 'fast');
  assert.is(run.finalState, 'online');
});

test('a flow whose peer went away (sends on, nothing comes back) is not a cut: one confirmation, no offline', () => {
  const run = runActive(40_000, { probe: fine(), rxPps: (t) => (t < 20_000 ? 100 : 0), txPps: () => 100 });
  assert.is(offlines(run), 0);
  assert.is(run.confirms.length, 1, 'not asked again and again for the same silence');
  assert.is(run.finalState, 'online');
});

test('60 s of saturated upload with 1.2 s queueing: never offline, at most 1 probe packet/s while it lasts', () => {
  const bloat = (t: number) => t >= 10_000 && t < 70_000;
  const run = runActive(90_000, {
    probe: (t) => (bloat(t) ? 1200 : 20),
    rxPps: (t) => (bloat(t) ? 300 : 0), // the upload's acknowledgements
    txPps: (t) => (bloat(t) ? 600 : 0),
  });
  assert.is(offlines(run), 0, JSON.stringify(run.states));
  const rate = probeRate(run, 12_000, 70_000);
  assert.ok(rate <= 1, `${rate.toFixed(2)} probe packets/s during the upload`);
  assert.is(run.finalState, 'online');
});

/** A TCP upload behind a 2 s queue from `from` to `to`. At 1000 kbit/s, as measured on a router's
 *  WAN device: 28–46 ACKs/s, 500 ms windows down to 9 packets, under the traffic floor (here: 38/s,
 *  dipping to 18/s for 0.7 s in every 2.1 s); at 500 kbit/s (the lab) 21–24/s, never over the
 *  floor (here 24/s dipping to 12/s). The queue fills to 1.75 s over the first 2 s and drains
 *  after the upload. Cut at `cut`: nothing sent from then on is answered or acknowledged. */
const ACKS = { '1000 kbit/s': [38, 18], '500 kbit/s': [24, 12] } as const;
function slowUpload(from: number, to: number, cut = Infinity, [high, low]: readonly [number, number] = ACKS['1000 kbit/s']): ActiveLine {
  const q = 1750;
  const delay = (t: number) => (t < from || t >= to + q ? 20 : t < from + 2000 ? 20 + (q - 20) * (t - from) / 2000 : t < to ? q : to + q - t + 20);
  return {
    probe: (t) => (t + delay(t) >= cut ? null : delay(t)),
    rxPps: (t) => (t < from || t >= to + q || t >= cut ? 0 : (t - from) % 2100 < 1400 ? high : low),
    txPps: (t) => (t >= from && t < Math.min(to, cut + 300) ? 90 : 0),
  };
}

test('a saturated upload on a slower line (1.75 s queue, its ACKs dipping under the traffic floor): degraded, never offline', () => {
  // At the slow probe rate a late reply comes only once a second, so neither the ACKs nor the
  // late replies alone prove the line alive all the time.
  for (const [line, acks] of Object.entries(ACKS)) {
    for (const phase of [0, 350, 700, 1050, 1400, 1750]) {
      const from = 10_000 + phase, to = from + 60_000;
      const run = runActive(to + 10_000, slowUpload(from, to, Infinity, acks));
      const at = `${line}, phase ${phase}: ${JSON.stringify(run.states)}`;
      assert.is(offlines(run), 0, at);
      assert.is(run.finalState, 'online', at);
      const rate = probeRate(run, from + 5000, to);
      assert.ok(rate <= 1, `${line}, phase ${phase}: ${rate.toFixed(2)} probe packets/s during the upload`);
    }
  }
});

test('a cut during a saturated upload on a slower line (ACKs dipping): offline within 1 s, also in a dip', () => {
  for (const [line, acks] of Object.entries(ACKS)) {
    for (const phase of [0, 300, 600, 900, 1200, 1500, 1800]) {
      const from = 10_000, cut = 40_000 + phase;
      const run = runActive(cut + 5000, slowUpload(from, from + 60_000, cut, acks));
      const d = offlineAfter(run, cut);
      assert.ok(d !== null && d <= 1000, `${line}, phase ${phase}: offline after ${d} ms: ${JSON.stringify(run.states)}`);
      assert.is(offlines(run), 1, JSON.stringify(run.states));
    }
  }
});

test('the end of a saturated upload: its queue drains (the probes in it answered late, ACKs until it is empty), never offline', () => {
  // the upload stops at 70 s; what it left in the 1.5 s queue still goes out at the line's rate,
  // so a probe sent at t < 71.5 s leaves the queue at 71.5 s, and the ACKs come until then
  const end = 70_000, q = 1500;
  for (const phase of [0, 130, 270, 410, 550, 690, 830, 970]) {
    const e = end + phase;
    const run = runActive(90_000, {
      probe: (t) => (t < 10_000 ? 20 : t < e ? q : t < e + q ? e + q - t + 20 : 20),
      rxPps: (t) => (t >= 10_000 && t < e + q ? 300 : 0),
      txPps: (t) => (t >= 10_000 && t < e ? 600 : t < e + q ? 30 : 0),
    });
    assert.is(offlines(run), 0, `upload ending at ${e}: ${JSON.stringify(run.states)}`);
    assert.equal(run.states.map((x) => x.state), ['online', 'degraded', 'online'], JSON.stringify(run.states));
    assert.ok(run.states[2]!.at < e + q + 3000, `online again at ${run.states[2]!.at}`);
  }
});

test('a cut during a saturated upload: offline within 1 s', () => {
  const cut = 40_000;
  const run = runActive(45_000, {
    probe: (t) => (t + 1200 >= cut ? null : t >= 10_000 ? 1200 : 20),
    rxPps: (t) => (t >= 10_000 && t < cut ? 300 : 0),
    txPps: (t) => (t >= 10_000 && t < cut + 300 ? 600 : 0), // TCP sends out its window, then waits
  });
  const d = offlineAfter(run, cut);
  assert.ok(d !== null && d <= 1000, `offline after ${d} ms: ${JSON.stringify(run.states)}`);
});

test('an RTT rise to 800 ms over 1 s (a queue filling) under a running stream: no offline', () => {
  // the delay grows from 20 to 800 ms between 20 and 21 s, stays 30 s, then drains within 1 s
  const delay = (t: number) => (t < 20_000 ? 20 : t < 21_000 ? 20 + 0.78 * (t - 20_000) : t < 51_000 ? 800 : t < 52_000 ? 800 - 0.78 * (t - 51_000) : 20);
  const run = runActive(70_000, {
    probe: (t) => delay(t),
    // while the delay grows by 0.78 ms per ms, replies arrive 1.78 times further apart
    rxPps: (t) => (t >= 20_000 && t < 21_000 ? 100 / 1.78 : 100),
    txPps: () => 100,
  });
  assert.is(offlines(run), 0, JSON.stringify(run.states));
  assert.is(run.finalState, 'online');
});

test('an idle line slow for 10 s (700 ms RTT: late replies), then cut: degraded, then offline timed from the first probe never answered', () => {
  const run = runActive(16_000, { probe: (t) => (t < 2_000 ? 20 : t < 12_000 ? 700 : null), rxPps: () => 0, txPps: () => 0 });
  assert.equal(run.states.map((x) => x.state), ['online', 'degraded', 'offline'], JSON.stringify(run.states));
  const off = run.states[2]!;
  // the late replies show the line answering until the cut: the silence begins at 12 s, not at 2 s
  assert.ok(off.at > 12_000 && off.at < 13_300, JSON.stringify(off));
  assert.ok(off.detectMs !== null && off.detectMs < 1_300, `detect ${off.detectMs} ms, timed from the first unanswered probe`);
});

test('1 hour of a stream at 5 % loss one way, and of bursty downloads at 2 % loss both ways: no offline', () => {
  const hour = 3_600_000;
  const r1 = rng(21);
  const one = runActive(hour, { probe: () => (r1() < 0.05 ? null : 20), rxPps: () => 95, txPps: () => 100 });
  assert.is(offlines(one), 0, JSON.stringify(one.states.slice(0, 5)));
  assert.ok(probeRate(one, 2_000, hour) <= 1);
  const r2 = rng(22);
  // 1 s of download every 3 s: traffic starts and stops all the time
  const burst = (t: number) => t % 3000 < 1000;
  const two = runActive(hour, {
    probe: () => (r2() < 0.02 || r2() < 0.02 ? null : 20),
    rxPps: (t) => (burst(t) ? 500 : 0),
    txPps: (t) => (burst(t) ? 250 : 0),
  });
  assert.is(offlines(two), 0, JSON.stringify(two.states.slice(0, 5)));
});

test('traffic_evidence 0 (the baseline): probing never slows, no confirmation, cuts found by rounds', () => {
  const cut = 20_000;
  const run = runActive(24_000, { probe: cutProbe(cut), ...stream(cut) }, { trafficEvidence: false });
  assert.is(run.rates.length, 0);
  assert.is(run.confirms.length, 0);
  const d = offlineAfter(run, cut);
  assert.ok(d !== null && d > ACTIVE_DECISION_MS && d <= 1000, `offline after ${d} ms`);
});

test.run();
