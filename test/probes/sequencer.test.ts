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

test.run();
