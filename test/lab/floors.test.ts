// The bench's floors with the daemon's default settings: the figures docs/lab.md derives.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_LAB_HEALTH } from './daemon.ts';
import { activeDetect, degradedDetect, failoverFloors, idleDetect, outage, probeDetect, recovery } from './floors.ts';

const h = DEFAULT_LAB_HEALTH;
const r = (x: { min: number; max: number }) => [x.min, x.max];

test('probes alone: 700–900 ms to detect, 800–1000 ms to recover', () => {
  assert.equal(r(probeDetect(h)), [700, 900]);
  assert.equal(r(recovery(h)), [800, 1000]);
});

test('an idle cut with traffic evidence: IDLE_WAIT_MS after the first lost probe, which leaves within interval/targets', () => {
  assert.equal(r(idleDetect(h)), [810, 875]);
  assert.equal(r(idleDetect(h, 2)), [810, 907]);
  // a long timeout makes the probe rule, not the idle wait, the bound
  assert.equal(r(idleDetect({ ...h, timeoutMs: 1000 })), [1330, 1395]);
});

test('busy and saturated uplinks, and the stream outage after the route change', () => {
  assert.equal(r(activeDetect()), [245, 345]);
  assert.equal(r(degradedDetect(h)), [300, 600]);
  assert.equal(r(outage(activeDetect())), [265, 375]);
  assert.equal(r(failoverFloors(h, 'baseline', 'busy').detect), [700, 900]);
  assert.equal(r(failoverFloors(h, 'evidence', 'idle').switchover), [810, 895]);
});

test.run();
