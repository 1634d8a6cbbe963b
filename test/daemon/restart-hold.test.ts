// A restart after kill -9 while an uplink was held out (issue #15, item 18): the recorded uplink
// stays out until its first rounds decide: dead → never back in rotation; healthy → handed back
// at its first good decision; no results at all → handed back at the bound. Engine, RestartHold
// and the route backend's start with fakes at the ports (spawner, fs, clock).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Backend } from '../../src/actions/backend.ts';
import { createRouteBackend } from '../../src/actions/route/backend.ts';
import { createSwitcher } from '../../src/actions/switcher.ts';
import { createCoreState, step } from '../../src/core/engine.ts';
import type { CoreAction, CoreEvent } from '../../src/core/events.ts';
import { memoryLog } from '../../src/platform/log.ts';
import { RestartHold } from '../../src/daemon/restart-hold.ts';
import { testConfig } from '../core/config-fixture.ts';
import { FakeClock } from '../fakes/clock.ts';
import { MemoryFs } from '../fakes/fs.ts';
import { FakeSpawner } from '../fakes/spawner.ts';

const record = (owned: string[]) => JSON.stringify({ version: 1, backend: 'mwan3', pid: 7, owned: Object.fromEntries(owned.map((n) => [n, { since: 1, device: n, mark: 0x100 }])) });

function fakeBackend() {
  const calls: string[] = [];
  const backend = { start: async (_: unknown, keep?: ReadonlySet<string>) => { calls.push(`start keep=${[...keep ?? []].join(',')}`); } } as unknown as Backend;
  return { backend, calls };
}

/** Runs the daemon's loop by hand: probe results per round for wg0 (wg1 healthy), ticks every
 *  500 ms, every action through RestartHold.filter; returns the actions that got through. */
async function restart(wg0Lost: (round: number) => boolean | 'silent', rounds: number) {
  const cfg = testConfig(['wg0', 'wg1']);
  cfg.global.backend = 'mwan3';
  const fs = new MemoryFs({ '/run/owned.json': record(['wg0']) });
  const core = createCoreState(cfg, 0);
  const hold = await RestartHold.load(fs, '/run', cfg, 0);
  const { backend, calls } = fakeBackend();
  await hold.start(backend, cfg, core);
  const out: string[] = [];
  const dispatch = (ev: CoreEvent) => {
    for (const a of hold.filter(step(core, ev, cfg), core, ev.at)) if (a.kind !== 'announce' || a.iface === 'wg0') out.push(describe(a));
  };
  for (const i of cfg.interfaces) dispatch({ kind: 'proberStarted', iface: i.name, at: 0 });
  for (let r = 0; r < rounds; r++) {
    const at = r * 200;
    if (at % 500 === 0) dispatch({ kind: 'ticked', at });
    for (const i of cfg.interfaces) {
      const lost = i.name === 'wg0' ? wg0Lost(r) : false;
      if (lost === 'silent') continue;
      for (const target of i.trackIps) dispatch({ kind: 'probeResult', iface: i.name, target, seq: r, ok: !lost, rttMs: lost ? null : 10, sentAt: at, at: at + (lost ? 325 : 10) });
    }
  }
  return { out, calls, core };
}

const describe = (a: CoreAction) => `${a.kind}:${a.iface}${a.kind === 'announce' ? `:${a.to}` : ''}@${a.at}`;

test('still dead after the restart: never handed back, stays forced', async () => {
  const { out, calls, core } = await restart(() => true, 60);
  assert.equal(calls, ['start keep=wg0']);
  assert.equal(out.filter((a) => a.startsWith('bringUp')), [], out.join(' '));
  assert.ok(out.some((a) => a.startsWith('announce:wg0:offline')));
  assert.ok(core.forced.has('wg0'));
});

test('healthy after the restart: handed back at its first decision, not before', async () => {
  const { out } = await restart(() => false, 30);
  const up = out.findIndex((a) => a.startsWith('announce:wg0:online'));
  assert.ok(up >= 0, out.join(' '));
  assert.match(out[up + 1]!, /^bringUp:wg0@/);
  assert.is(out.filter((a) => a.startsWith('bringUp')).length, 1);
});

test('healthy after the restart: the hand-back reaches the backend (the switcher knows the uplink starts out)', async () => {
  // found beside the real mwan3track: the switcher took every uplink to start in rotation, so
  // the held uplink's bring-up was skipped as "already heading there" and it stayed forced out
  const { out } = await restart(() => false, 30);
  const cfg = testConfig(['wg0', 'wg1']);
  const hold = await RestartHold.load(new MemoryFs({ '/run/owned.json': record(['wg0']) }), '/run', { ...cfg, global: { ...cfg.global, backend: 'mwan3' } }, 0);
  const calls: string[] = [];
  const backend = {
    takeDown: async (i: { name: string }) => { calls.push(`down ${i.name}`); return { ok: true, steps: [] }; },
    bringUp: async (i: { name: string }) => { calls.push(`up ${i.name}`); return { ok: true, steps: [] }; },
  } as unknown as Backend;
  const sw = createSwitcher(backend, new FakeClock(), memoryLog(), () => undefined, hold.names);
  for (const a of out) {
    const [kind, rest] = a.split(':');
    const name = rest!.split('@')[0]!;
    if (kind === 'bringUp' || kind === 'takeDown') sw.request(cfg.interfaces.find((i) => i.name === name)!, kind === 'bringUp' ? 'up' : 'down', 'r', 0);
  }
  await sw.idle();
  assert.equal(calls, ['up wg0']);
  // an uplink not held at the start still starts in rotation: a bring-up of it is a no-op
  sw.request(cfg.interfaces[1]!, 'up', 'r', 0);
  await sw.idle();
  assert.equal(calls, ['up wg0']);
});

test('no results at all (prober never gets going): handed back at the bound, never kept forced', async () => {
  const { out, core } = await restart(() => 'silent', 60);
  const up = out.filter((a) => a.startsWith('bringUp:wg0'));
  assert.is(up.length, 1, out.join(' '));
  // down/up 3/5 rounds × 200 ms + 300 ms timeout + 1 s margin = 2.3 s, then the next tick
  const at = Number(up[0]!.split('@')[1]);
  assert.ok(at >= 2300 && at <= 3000, `${at}`);
  assert.not.ok(core.forced.has('wg0'));
});

test('the bound never exceeds unknown_handback_s', async () => {
  const cfg = testConfig(['wg0', 'wg1']);
  cfg.global.backend = 'mwan3';
  cfg.global.unknownHandbackMs = 1000;
  cfg.interfaces[0]!.health = { ...cfg.interfaces[0]!.health, up: 100 };
  const core = createCoreState(cfg, 0);
  const hold = await RestartHold.load(new MemoryFs({ '/run/owned.json': record(['wg0', 'gone']) }), '/run', cfg, 0);
  assert.equal([...hold.names], ['wg0']);
  await hold.start(fakeBackend().backend, cfg, core);
  const bring: CoreAction = { kind: 'bringUp', iface: 'wg0', reason: 'x', at: 999 };
  assert.equal(hold.filter([bring], core, 999), []);
  assert.equal(hold.filter([bring], core, 1000), [bring]);
});

test('route backend: start keeps the recorded uplink out of the route, unless it is the last one', async () => {
  const replaced: string[] = [];
  const spawner = new FakeSpawner((argv) => {
    if (argv.includes('replace')) replaced.push(argv.filter((_, i) => argv[i - 1] === 'dev').join(','));
    return argv.includes('replace') ? { code: 0, signal: null, stdout: '', stderr: '' } : { code: 1, signal: null, stdout: '', stderr: 'unsupported' };
  });
  const cfg = testConfig(['wg0', 'wg1']);
  for (const [keepOut, expect] of [[['wg0'], 'wg1'], [['wg0', 'wg1'], 'wg0,wg1']] as const) {
    replaced.length = 0;
    const fs = new MemoryFs({ '/run/route-owned.json': record([...keepOut]) });
    const backend = createRouteBackend({ spawner, fs, clock: new FakeClock(), log: memoryLog(), runDir: '/run', table: '100', metric: 10, drain: false, drainOnRecovery: false, sysctl: false, pid: 1, checkEveryMs: 0, resilient: false, ipBatch: false });
    await backend.start(cfg.interfaces, new Set(keepOut));
    assert.equal(replaced, [expect]);
    const owned = Object.keys((JSON.parse(fs.files.get('/run/route-owned.json')!) as { owned: object }).owned);
    assert.equal(owned, keepOut.length === 1 ? ['wg0'] : []);
    await backend.stop();
  }
});

test.run();
