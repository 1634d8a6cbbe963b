import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Family, PolicyConfig } from '../../src/config/types.ts';
import type { UplinkStateName } from '../../src/core/events.ts';
import { plan, type PlanInput } from '../../src/core/planner.ts';

function input(states: Record<string, UplinkStateName>, policies: PolicyConfig[], extra: Partial<PlanInput> = {}): PlanInput {
  const families = new Map<string, Family>();
  const uplinks: PlanInput['uplinks'] = new Map();
  for (const [name, state] of Object.entries(states)) {
    const family: Family = name.endsWith('6') ? 'ipv6' : 'ipv4';
    families.set(name, family);
    uplinks.set(name, { state, family, brokenSince: state === 'unknown' ? 0 : null, degradedFailover: false });
  }
  return { uplinks, families, policies, forced: new Set(), offlineByMwan3: new Set(), unknownHandbackMs: 10_000, at: 1000, ...extra };
}
const pol = (name: string, ...ifaces: string[]): PolicyConfig => ({ name, members: ifaces.map((iface) => ({ iface, metric: 1, weight: 1 })) });

test('a dead uplink is taken out while another member of its policy is usable', () => {
  const p = plan(input({ wg0: 'offline', wg1: 'online' }, [pol('balanced', 'wg0', 'wg1')]));
  assert.equal([...p.desired], ['wg0']);
  assert.is(p.held.size, 0);
});

test('never the last usable member: all members dead → all left to mwan3 with the reason', () => {
  const p = plan(input({ wg0: 'offline', wg1: 'offline' }, [pol('balanced', 'wg0', 'wg1')]));
  assert.equal([...p.desired], []);
  assert.match(p.held.get('wg0')!, /all members of policy balanced look dead/);
  assert.ok(p.held.has('wg1'));
});

test('an interface in two policies is held when any of them would be left empty', () => {
  const p = plan(input({ wg0: 'offline', wg1: 'online' }, [pol('balanced', 'wg0', 'wg1'), pol('wg0_only', 'wg0')]));
  assert.equal([...p.desired], []);
  assert.match(p.held.get('wg0')!, /only member of policy wg0_only/);
});

test('members of another family do not count as usable', () => {
  const p = plan(input({ wan: 'offline', wan6: 'online' }, [pol('balanced', 'wan', 'wan6')]));
  assert.equal([...p.desired], []);
  assert.ok(p.held.has('wan'));
});

test('members of disabled interfaces are ignored; untracked enabled ones count as usable', () => {
  const i = input({ wan: 'offline' }, [pol('balanced', 'wan', 'wanb')]);
  assert.equal([...plan(i).desired], [], 'wanb unknown to the config: not usable');
  i.families.set('wanb', 'ipv4');
  assert.equal([...plan(i).desired], ['wan'], 'wanb enabled but untracked: usable');
});

test("an interface mwan3's tracker holds offline is neither forced nor usable", () => {
  const p = plan(input({ wg0: 'offline', wg1: 'online' }, [pol('b', 'wg0', 'wg1')], { offlineByMwan3: new Set(['wg0']) }));
  assert.equal([...p.desired], []);
  const q = plan(input({ wg0: 'offline', wg1: 'online' }, [pol('b', 'wg0', 'wg1')], { offlineByMwan3: new Set(['wg1']) }));
  assert.equal([...q.desired], [], 'wg1 down by mwan3 → wg0 is the last usable one');
});

test('a broken prober keeps a held interface only until unknown_handback', () => {
  const base = input({ wg0: 'unknown', wg1: 'online' }, [pol('b', 'wg0', 'wg1')], { forced: new Set(['wg0']) });
  assert.equal([...plan({ ...base, at: 5_000 }).desired], ['wg0']);
  assert.equal([...plan({ ...base, at: 10_000 }).desired], []);
  assert.equal([...plan({ ...base, forced: new Set(), at: 1 }).desired], [], 'unknown alone never takes an uplink down');
});

test('degraded leaves rotation only with degraded_failover', () => {
  const i = input({ wg0: 'degraded', wg1: 'online' }, [pol('b', 'wg0', 'wg1')]);
  assert.equal([...plan(i).desired], []);
  i.uplinks.get('wg0')!.degradedFailover = true;
  assert.equal([...plan(i).desired], ['wg0']);
});

test.run();
