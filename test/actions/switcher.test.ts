import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { InterfaceConfig } from '../../src/config/types.ts';
import type { Backend, SwitchResult } from '../../src/actions/backend.ts';
import { createSwitcher } from '../../src/actions/switcher.ts';
import type { SwitchOutcome } from '../../src/actions/switcher.ts';
import { memoryLog } from '../../src/platform/log.ts';
import { FakeClock } from '../fakes/clock.ts';

function uplink(name: string): InterfaceConfig {
  return {
    name, device: name, deviceKnown: true, family: 'ipv4', trackIps: [], mwan3Id: 0, mark: 0,
    weight: 1, metric: 1, health: {} as InterfaceConfig['health'],
  };
}

interface Call { iface: string; direction: 'down' | 'up'; reason: string; finish(r?: Partial<SwitchResult>): void; fail(e: Error): void }

/** A backend whose every call waits until the test finishes it. */
function fakeBackend() {
  const calls: Call[] = [];
  const call = (iface: InterfaceConfig, direction: 'down' | 'up', reason: string) => new Promise<SwitchResult>((resolve, reject) => {
    calls.push({ iface: iface.name, direction, reason, finish: (r = {}) => resolve({ ok: true, steps: [], ...r }), fail: reject });
  });
  const backend: Backend = {
    name: 'none',
    start: async () => undefined,
    takeDown: (i, r) => call(i, 'down', r),
    bringUp: (i, r) => call(i, 'up', r),
    reconcile: async () => ({ offlineByMwan3: [], repaired: [] }),
    stop: async () => undefined,
  };
  return { backend, calls };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

function setup() {
  const { backend, calls } = fakeBackend();
  const results: SwitchOutcome[] = [];
  const log = memoryLog();
  const sw = createSwitcher(backend, new FakeClock(), log, (r) => results.push(r));
  return { sw, calls, results, log };
}

const wan = uplink('wan');
const wanb = uplink('wanb');

test('one switchover per interface at a time, different interfaces in parallel', async () => {
  const { sw, calls, results } = setup();
  sw.request(wan, 'down', 'lost', 1);
  sw.request(wanb, 'down', 'lost', 2);
  sw.request(wan, 'up', 'recovered', 3);
  assert.equal(calls.map((c) => `${c.iface} ${c.direction}`), ['wan down', 'wanb down']);
  calls[0]!.finish();
  await tick();
  assert.equal(calls.map((c) => `${c.iface} ${c.direction}`), ['wan down', 'wanb down', 'wan up']);
  calls[1]!.finish();
  calls[2]!.finish();
  await sw.idle();
  assert.equal(results.map((r) => `${r.iface} ${r.direction} ${r.decidedAt} ${r.result.ok}`), ['wan down 1 true', 'wanb down 2 true', 'wan up 3 true']);
});

test('step timings are counted from the decision, also when the switchover waited behind another', async () => {
  const { backend, calls } = fakeBackend();
  const results: SwitchOutcome[] = [];
  const clock = new FakeClock();
  const sw = createSwitcher(backend, clock, memoryLog(), (r) => results.push(r));
  sw.request(wan, 'down', 'lost', 0);
  sw.request(wan, 'up', 'recovered', 10);
  clock.advance(40);
  calls[0]!.finish({ steps: [{ step: 'route', ms: 5 }], routedAt: 5 });
  await tick();
  calls[1]!.finish({ steps: [{ step: 'route', ms: 5 }], routedAt: 45 });
  await sw.idle();
  assert.equal(results.map((r) => r.result.steps), [[{ step: 'route', ms: 5 }], [{ step: 'route', ms: 35 }]]);
  assert.equal(results.map((r) => r.result.routedAt), [5, 45]);
});

test('requests arriving during a switchover collapse into the latest', async () => {
  const { sw, calls, results } = setup();
  sw.request(wan, 'down', 'first', 1);
  sw.request(wan, 'up', 'second', 2);
  sw.request(wan, 'down', 'third', 3);
  sw.request(wan, 'up', 'fourth', 4);
  calls[0]!.finish();
  await tick();
  assert.equal(calls.map((c) => c.reason), ['first', 'fourth']);
  calls[1]!.finish();
  await sw.idle();
  assert.equal(results.map((r) => r.reason), ['first', 'fourth']);
});

test('a request back to the running direction voids the pending opposite one', async () => {
  const { sw, calls, results } = setup();
  sw.request(wan, 'down', 'lost', 1);
  sw.request(wan, 'up', 'blip', 2);
  sw.request(wan, 'down', 'lost again', 3);
  calls[0]!.finish();
  await sw.idle();
  assert.equal(calls.length, 1);
  assert.equal(results.map((r) => r.reason), ['lost']);
});

test('a request for the state already reached is skipped', async () => {
  const { sw, calls } = setup();
  sw.request(wan, 'up', 'at start everything is in rotation', 1);
  assert.is(calls.length, 0);
  sw.request(wan, 'down', 'lost', 2);
  calls[0]!.finish();
  await sw.idle();
  sw.request(wan, 'down', 'still lost', 3);
  assert.is(calls.length, 1);
});

test('a failed switchover can be retried, a throwing backend becomes ok=false', async () => {
  const { sw, calls, results } = setup();
  sw.request(wan, 'down', 'lost', 1);
  calls[0]!.finish({ ok: false, error: 'hotplug failed' });
  await sw.idle();
  sw.request(wan, 'down', 'retry', 2);
  assert.is(calls.length, 2);
  calls[1]!.fail(new Error('spawn exploded'));
  await sw.idle();
  assert.equal(results.map((r) => [r.result.ok, r.result.error]), [[false, 'hotplug failed'], [false, 'spawn exploded']]);
});

test('idle() waits for running and pending work, and a throwing result handler is contained', async () => {
  const { backend, calls } = fakeBackend();
  const log = memoryLog();
  const sw = createSwitcher(backend, new FakeClock(), log, () => { throw new Error('handler bug'); });
  await sw.idle();
  sw.request(wan, 'down', 'lost', 1);
  sw.request(wan, 'up', 'back', 2);
  let idle = false;
  void sw.idle().then(() => { idle = true; });
  calls[0]!.finish();
  await tick();
  assert.not.ok(idle);
  calls[1]!.finish();
  await tick();
  assert.ok(idle);
  assert.ok(log.lines.some((l) => l.includes('handler bug')));
});

test('a result handler that requests again runs that request after the current one', async () => {
  const { backend, calls } = fakeBackend();
  const seen: string[] = [];
  const sw = createSwitcher(backend, new FakeClock(), memoryLog(), (r) => {
    seen.push(r.direction);
    if (r.direction === 'down') sw.request(wan, 'up', 'handed back', 9);
  });
  sw.request(wan, 'down', 'lost', 1);
  calls[0]!.finish();
  await tick();
  assert.equal(calls.map((c) => c.direction), ['down', 'up']);
  calls[1]!.finish();
  await sw.idle();
  assert.equal(seen, ['down', 'up']);
});

test('a take-down whose routing change happened but a later step failed still counts: the bring-up runs', async () => {
  const { sw, calls, results } = setup();
  sw.request(wan, 'down', 'lost', 1);
  calls[0]!.finish({ ok: false, applied: true, error: 'park: slow' });
  await tick();
  sw.request(wan, 'up', 'recovered', 2);
  assert.equal(calls.map((c) => `${c.iface} ${c.direction}`), ['wan down', 'wan up'], 'the hand-back is not skipped');
  calls[1]!.finish();
  await sw.idle();
  assert.equal(results.map((r) => `${r.direction} ${r.result.ok}`), ['down false', 'up true']);
});

test('a take-down that changed nothing (applied false) leaves the lane in rotation', async () => {
  const { sw, calls } = setup();
  sw.request(wan, 'down', 'lost', 1);
  calls[0]!.finish({ ok: false, applied: false, error: 'hotplug: failed' });
  await tick();
  sw.request(wan, 'up', 'recovered', 2);
  assert.equal(calls.length, 1, 'nothing to hand back');
  sw.request(wan, 'down', 'lost again', 3);
  assert.equal(calls.map((c) => c.direction), ['down', 'down'], 'a new take-down is tried');
  calls[1]!.finish();
  await sw.idle();
});

test.run();
