import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { InterfaceConfig } from '../../../src/config/types.ts';
import { planRoute } from '../../../src/actions/route/plan.ts';
import {
  NEXTHOP_ID_BASE, RESILIENT_DEFAULTS, groupDifference, groupMembers, groupReplaceArgs, groupRouteArgs, memberId,
  nexthopReplaceArgs, parseNexthops, routeNhid, staleIds,
} from '../../../src/actions/route/nexthop.ts';

function uplink(name: string, over: Partial<InterfaceConfig> = {}): InterfaceConfig {
  return {
    name, device: name, deviceKnown: true, family: 'ipv4', trackIps: [], mwan3Id: 0, mark: 0,
    weight: 1, metric: 1, health: {} as InterfaceConfig['health'], ...over,
  };
}
const all = [
  uplink('wan', { device: 'eth1', gateway: '192.0.2.1', weight: 3 }),
  uplink('wg', { device: 'wg0' }),
  uplink('wan6', { device: 'eth1', gateway: 'fe80::1', family: 'ipv6' }),
];
const indexOf = (name: string) => all.filter((i) => i.family === all.find((x) => x.name === name)!.family).findIndex((i) => i.name === name);
const G4 = NEXTHOP_ID_BASE;

test('one resilient group per family, members by stable id, device-only nexthops', () => {
  const members = groupMembers(planRoute(all, 'ipv4', new Set()), indexOf);
  assert.equal(members.map((m) => m.id), [G4 + 1, G4 + 2]);
  assert.equal(nexthopReplaceArgs('ipv4', members[0]!), ['-4', 'nexthop', 'replace', 'id', String(G4 + 1), 'via', '192.0.2.1', 'dev', 'eth1']);
  assert.equal(nexthopReplaceArgs('ipv4', members[1]!), ['-4', 'nexthop', 'replace', 'id', String(G4 + 2), 'dev', 'wg0']);
  assert.equal(groupReplaceArgs('ipv4', members, RESILIENT_DEFAULTS), [
    'nexthop', 'replace', 'id', String(G4), 'group', `${G4 + 1},3/${G4 + 2},1`,
    'type', 'resilient', 'buckets', '128', 'idle_timer', '30', 'unbalanced_timer', '0',
  ]);
  assert.is(groupReplaceArgs('ipv4', [], RESILIENT_DEFAULTS), null);
  assert.equal(groupRouteArgs('ipv6', 'main', 5), ['-6', 'route', 'replace', 'default', 'nhid', String(G4 + 0x100), 'table', 'main', 'metric', '5']);
  assert.is(memberId('ipv6', 0), G4 + 0x101);
});

test('reads back route and group, and names what differs', () => {
  const members = groupMembers(planRoute(all, 'ipv4', new Set()), indexOf);
  const list = (group: object[], args = { buckets: 128, idle_timer: 30, unbalanced_timer: 0 }) => parseNexthops(JSON.stringify([
    { id: G4, group, type: 'resilient', resilient_args: args },
    { id: G4 + 1, gateway: '192.0.2.1', dev: 'eth1' },
    { id: G4 + 2, dev: 'wg0' },
    { id: 7, dev: 'eth9' },
  ]));
  assert.is(groupDifference('ipv4', members, list([{ id: G4 + 1, weight: 3 }, { id: G4 + 2 }]), RESILIENT_DEFAULTS), null);
  assert.match(groupDifference('ipv4', members, list([{ id: G4 + 2 }]), RESILIENT_DEFAULTS) ?? '', /members changed/);
  assert.match(groupDifference('ipv4', members, list([{ id: G4 + 1 }, { id: G4 + 2 }]), RESILIENT_DEFAULTS) ?? '', /members changed/);
  assert.match(groupDifference('ipv4', members, list([{ id: G4 + 1, weight: 3 }, { id: G4 + 2 }], { buckets: 64, idle_timer: 30, unbalanced_timer: 0 }), RESILIENT_DEFAULTS) ?? '', /bucket/);
  assert.match(groupDifference('ipv4', members, new Map(), RESILIENT_DEFAULTS) ?? '', /missing/);
  assert.is(routeNhid(`[{"dst":"default","nhid":${G4},"metric":10,"nexthops":[]},{"dst":"default","dev":"x","metric":0}]`, 10), G4);
  assert.is(routeNhid('[{"dst":"default","dev":"x"}]', 0), null);
  assert.is(routeNhid('junk', 0), null);
});

test('prunes only our unused nexthops; groups only when asked, before their members', () => {
  const have = parseNexthops(JSON.stringify([
    { id: G4, group: [{ id: G4 + 2 }], type: 'resilient' },
    { id: G4 + 1, dev: 'eth1' },
    { id: G4 + 2, dev: 'wg0' },
    { id: 7, dev: 'eth9' },
    { id: 8, group: [{ id: G4 + 3 }] },
    { id: G4 + 3, dev: 'eth3' },
  ]));
  assert.equal(staleIds(have, false), [G4 + 1]);
  assert.equal(staleIds(have, true), [G4, G4 + 1, G4 + 2]);
});

test.run();
