import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createCoreState, step } from '../../src/core/engine.ts';
import type { CoreAction, CoreEvent } from '../../src/core/events.ts';
import { testConfig } from './config-fixture.ts';

/** feeds `rounds` rounds for one interface; lost(r) decides which rounds get no reply */
function feed(state: ReturnType<typeof createCoreState>, cfg: ReturnType<typeof testConfig>, name: string, from: number, rounds: number, lost: (r: number) => boolean): CoreAction[] {
  const out: CoreAction[] = [];
  const i = cfg.interfaces.find((x) => x.name === name)!;
  for (let r = from; r < from + rounds; r++) {
    for (const target of i.trackIps) {
      const ev: CoreEvent = { kind: 'probeResult', iface: name, target, seq: r, ok: !lost(r), rttMs: lost(r) ? null : 10, sentAt: r * 200, at: r * 200 + (lost(r) ? 325 : 10) };
      out.push(...step(state, ev, cfg));
    }
  }
  return out;
}

const kinds = (a: CoreAction[]) => a.map((x) => `${x.kind}:${x.iface}${x.kind === 'announce' ? `:${x.to}` : ''}`);

test('cut → announce offline and take down; recovery → announce online and bring up', () => {
  const cfg = testConfig();
  const s = createCoreState(cfg, 0);
  for (const i of cfg.interfaces) step(s, { kind: 'proberStarted', iface: i.name, at: 0 }, cfg);
  assert.equal(kinds(feed(s, cfg, 'wg1', 0, 20, () => false)), ['announce:wg1:online']);
  const a = feed(s, cfg, 'wg0', 0, 30, (r) => r >= 20 && r < 25);
  assert.equal(kinds(a), ['announce:wg0:online', 'announce:wg0:offline', 'takeDown:wg0', 'announce:wg0:online', 'bringUp:wg0']);
  const down = a.find((x) => x.kind === 'takeDown')!;
  assert.match((down as { reason: string }).reason, /3 failed rounds/);
  assert.equal([...s.forced], []);
});

test('both uplinks dead → the second is held back and the first handed back to mwan3', () => {
  const cfg = testConfig();
  const s = createCoreState(cfg, 0);
  feed(s, cfg, 'wg0', 0, 10, () => false);
  feed(s, cfg, 'wg1', 0, 10, () => false);
  assert.equal(kinds(feed(s, cfg, 'wg0', 10, 5, () => true)), ['announce:wg0:offline', 'takeDown:wg0']);
  const a = feed(s, cfg, 'wg1', 10, 5, () => true);
  assert.equal(kinds(a), ['announce:wg1:offline', 'holdBack:wg0', 'holdBack:wg1', 'bringUp:wg0']);
  assert.match((a[3] as { reason: string }).reason, /all members of policy balanced look dead/);
  // wg1 comes back: wg0 can be taken down again
  assert.equal(kinds(feed(s, cfg, 'wg1', 15, 5, () => false)), ['announce:wg1:online', 'takeDown:wg0']);
});

test('a failed take-down stays requested, so recovery still hands the interface back', () => {
  const cfg = testConfig();
  const s = createCoreState(cfg, 0);
  feed(s, cfg, 'wg1', 0, 10, () => false);
  feed(s, cfg, 'wg0', 0, 8, (r) => r >= 5);
  assert.ok(s.forced.has('wg0'));
  assert.equal(kinds(step(s, { kind: 'switchFinished', iface: 'wg0', direction: 'down', ok: false, error: 'hotplug: not found', at: 1700 }, cfg)), []);
  assert.ok(s.forced.has('wg0'));
  assert.equal(kinds(feed(s, cfg, 'wg0', 8, 5, () => false)), ['announce:wg0:online', 'bringUp:wg0']);
});

test('prober death while holding an uplink: kept briefly, then handed back', () => {
  const cfg = testConfig();
  const s = createCoreState(cfg, 0);
  feed(s, cfg, 'wg1', 0, 10, () => false);
  feed(s, cfg, 'wg0', 0, 8, (r) => r >= 5);
  const a = step(s, { kind: 'proberDied', iface: 'wg0', reason: 'fping killed by SIGKILL', at: 2000 }, cfg);
  assert.equal(kinds(a), ['announce:wg0:unknown']);
  assert.equal(kinds(step(s, { kind: 'ticked', at: 2000 + cfg.global.unknownHandbackMs }, cfg)), ['bringUp:wg0']);
});

test('reload keeps the health history of unchanged interfaces and what wanpulse holds', () => {
  const cfg = testConfig();
  const s = createCoreState(cfg, 0);
  feed(s, cfg, 'wg1', 0, 10, () => false);
  feed(s, cfg, 'wg0', 0, 8, (r) => r >= 5);
  const cfg2 = testConfig(['wg0', 'wg1', 'wg2']);
  const s2 = createCoreState(cfg2, 3000, s);
  assert.is(s2.uplinks.get('wg0')!.state, 'offline');
  assert.is(s2.uplinks.get('wg1')!.state, 'online');
  assert.is(s2.uplinks.get('wg2')!.state, 'unknown');
  assert.ok(s2.forced.has('wg0'));
});

test.run();
