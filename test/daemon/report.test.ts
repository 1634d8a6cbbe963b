// How a finished switchover is recorded for the status file and the log: decision → routing
// changed is its own figure (routeMs), beside the total and the steps.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { recordSwitch } from '../../src/daemon/report.ts';
import type { DaemonState } from '../../src/daemon/state.ts';
import { WallClock } from '../../src/daemon/wall-clock.ts';
import { memoryLog } from '../../src/platform/log.ts';
import type { SwitchRecord } from '../../src/status/model.ts';
import { FakeClock } from '../fakes/clock.ts';

function state() {
  return { lastSwitch: new Map<string, SwitchRecord>() } as unknown as DaemonState;
}

test('a switchover that changed routing records and logs decision → routing changed', () => {
  const s = state();
  const log = memoryLog();
  const clock = new FakeClock();
  const rec = recordSwitch(s, log, new WallClock(clock), {
    iface: 'wan', direction: 'down', reason: 'lost', decidedAt: 100,
    result: { ok: true, steps: [{ step: 'route', ms: 4.4 }, { step: 'drain', ms: 31.2 }], routedAt: 104.4 },
  }, 132);
  assert.is(rec.routeMs, 4);
  assert.is(rec.totalMs, 32);
  assert.equal(rec.steps, [{ step: 'route', ms: 4 }, { step: 'drain', ms: 31 }]);
  assert.is(s.lastSwitch.get('wan'), rec);
  assert.match(log.lines.join('\n'), /wan: switched down in 32 ms, routing changed after 4 ms \(route 4 ms, drain 31 ms\)/);
});

test('a switchover that changed no routing has no routeMs', () => {
  const s = state();
  const log = memoryLog();
  const rec = recordSwitch(s, log, new WallClock(new FakeClock()), {
    iface: 'wan', direction: 'down', reason: 'lost', decidedAt: 100,
    result: { ok: false, steps: [{ step: 'status', ms: 1 }, { step: 'hotplug', ms: 2 }], error: 'hotplug: not found' },
  }, 103);
  assert.is(rec.routeMs, undefined);
  assert.not.ok('routeMs' in rec);
  assert.match(log.lines.join('\n'), /switch down failed after 3 ms: hotplug: not found/);
});

test.run();
