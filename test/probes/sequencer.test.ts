import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Sequencer } from '../../src/probes/sequencer.ts';

const O = { intervalMs: 200, timeoutMs: 300, graceMs: 25, startupMs: 100, spacingMs: 10 };
const brief = (r: { target: string; seq: number; rttMs: number | null }[]) => r.map((x) => `${x.target}#${x.seq}:${x.rttMs === null ? 'lost' : x.rttMs}`);

test('replies resolve at once; silence becomes loss at the deadline', () => {
  const s = new Sequencer(['a', 'b'], O, 0);
  // fping actually started 20 ms after spawn: a#0 sent at 20, reply at 21
  assert.equal(brief(s.reply('a', 0, 1, 21)), ['a#0:1']);
  assert.equal(brief(s.reply('a', 1, 1, 221)), ['a#1:1']);
  // b never answers: its seq 0 is lost once 100+10+300+25 = 435 has passed
  assert.equal(brief(s.due(434)), []);
  assert.equal(brief(s.due(435)), ['b#0:lost']);
  // a's anchor was calibrated to 20: a#2 (sent 420) is due at 745
  assert.equal(s.nextDeadline(), Math.min(20 + 400 + 325, 110 + 200 + 325));
});

test('a gap in sequence numbers waits for the late reply until the deadline', () => {
  const s = new Sequencer(['a'], O, 0);
  s.reply('a', 0, 1, 1);
  // seq 1 missing, seq 2 arrives: held back until seq 1 resolves
  assert.equal(brief(s.reply('a', 2, 1, 401)), []);
  assert.equal(brief(s.due(200 + 325)), ['a#1:lost', 'a#2:1']);
});

test('a stalled prober (no output at all) produces losses for every elapsed interval', () => {
  const s = new Sequencer(['a'], O, 0);
  s.reply('a', 0, 1, 1);
  const lost = s.due(10_000);
  assert.is(lost.length, Math.floor((10_000 - 325) / 200));
  assert.ok(lost.every((r) => r.rttMs === null));
});

test('printed timeouts (fping ≥ 5.2) resolve early; late replies and unknown targets are ignored', () => {
  const s = new Sequencer(['a'], O, 0);
  assert.equal(brief(s.timedOut('a', 0, 400)), ['a#0:lost']);
  assert.equal(brief(s.reply('a', 0, 5, 410)), []);
  assert.equal(brief(s.reply('zzz', 1, 5, 410)), []);
  assert.equal(brief(s.reply('a', 1, 350, 560)), ['a#1:lost'], 'over the timeout: counted lost');
});

test('after a stall the buffered replies are read before anything counts as lost', () => {
  const s = new Sequencer(['a', 'b'], O, 0);
  s.reply('a', 0, 1, 101);
  s.reply('b', 0, 1, 111);
  // the daemon is stopped from 150 to 1150; fping kept answering. The timer fires first on wake-up:
  s.hold(1150 + 40);
  assert.equal(s.due(1150), [], 'nothing judged while the pipe is unread');
  assert.is(s.nextDeadline(), 1190);
  // the buffered lines are read (a reply only proves loss below it, never above it)
  const got: string[] = [];
  for (let k = 1; k <= 5; k++) { got.push(...brief(s.reply('a', k, 1, 1151))); got.push(...brief(s.reply('b', k, 1, 1151))); }
  assert.equal(got.filter((x) => x.endsWith('lost')), []);
  assert.is(got.length, 10);
  // seq 6 went out just before the wake-up and is simply not due yet
  assert.equal(s.due(1190), []);
});

test('a real cut during a stall is judged once the buffered lines are read', () => {
  const s = new Sequencer(['a'], O, 0);
  s.reply('a', 0, 1, 101);
  s.reply('a', 1, 1, 301);
  // stopped 350..1350; the line was cut at 400: nothing more in the pipe
  s.hold(1390);
  assert.equal(s.due(1350), []);
  assert.equal(brief(s.due(1390)), ['a#2:lost', 'a#3:lost', 'a#4:lost']);
});

test("the schedule follows fping's real period when it runs longer than the interval", () => {
  // fping's real period 22 ms for -p 20 (two targets at 10 ms spacing): 20 minutes of drift
  const o = { ...O, intervalMs: 20, timeoutMs: 150 };
  const s = new Sequencer(['a'], o, 0);
  let lost = 0;
  for (let k = 0; k < 5000; k++) {
    const sent = 100 + k * 22;
    lost += s.reply('a', k, 2, sent + 2).filter((r) => r.rttMs === null).length;
    lost += s.due(sent + 10).filter((r) => r.rttMs === null).length;
  }
  assert.is(lost, 0);
});

test.run();
