import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { InterfaceConfig } from '../../../src/config/types.ts';
import {
  activeTier, describeNexthops, parseDefaultRoute, planRoute, routeReplaceArgs, routeShowArgs, sameNexthops,
} from '../../../src/actions/route/plan.ts';

function uplink(name: string, over: Partial<InterfaceConfig> = {}): InterfaceConfig {
  return {
    name, device: name, deviceKnown: true, family: 'ipv4', trackIps: [], mwan3Id: 0, mark: 0,
    weight: 1, metric: 1, health: {} as InterfaceConfig['health'], ...over,
  };
}

const wan = uplink('wan', { device: 'eth1', gateway: '192.0.2.1', weight: 3 });
const wanb = uplink('wanb', { device: 'eth2', gateway: '198.51.100.1', weight: 1 });
const lte = uplink('lte', { device: 'wwan0', metric: 10 });
const v6 = uplink('wan6', { device: 'eth1', gateway: 'fe80::1', family: 'ipv6' });
const all = [wan, wanb, lte, v6];

test('equal metrics share one multipath route, weighted', () => {
  const plan = planRoute(all, 'ipv4', new Set());
  assert.equal(plan.members, ['wan', 'wanb']);
  assert.equal(routeReplaceArgs(plan, '100', 50), [
    '-4', 'route', 'replace', 'default', 'table', '100', 'metric', '50',
    'nexthop', 'via', '192.0.2.1', 'dev', 'eth1', 'weight', '3',
    'nexthop', 'via', '198.51.100.1', 'dev', 'eth2', 'weight', '1',
  ]);
});

test('one usable member of the tier gives a plain route', () => {
  const plan = planRoute(all, 'ipv4', new Set(['wan']));
  assert.equal(routeReplaceArgs(plan, 'main', 0), ['-4', 'route', 'replace', 'default', 'table', 'main', 'metric', '0', 'via', '198.51.100.1', 'dev', 'eth2']);
});

test('the backup tier takes over only when the whole preferred tier is out, device-only nexthop', () => {
  assert.equal(activeTier(all, 'ipv4', new Set(['wan'])).map((i) => i.name), ['wanb']);
  const plan = planRoute(all, 'ipv4', new Set(['wan', 'wanb']));
  assert.equal(plan.members, ['lte']);
  assert.equal(routeReplaceArgs(plan, 'main', 0), ['-4', 'route', 'replace', 'default', 'table', 'main', 'metric', '0', 'dev', 'wwan0']);
});

test('families are planned apart; nothing usable gives no command', () => {
  assert.equal(planRoute(all, 'ipv6', new Set(['wan'])).members, ['wan6']);
  assert.equal(routeReplaceArgs(planRoute(all, 'ipv6', new Set()), '7', 1)?.slice(0, 3), ['-6', 'route', 'replace']);
  assert.is(routeReplaceArgs(planRoute(all, 'ipv6', new Set(['wan6'])), 'main', 0), null);
  assert.equal(routeShowArgs('ipv6', 'main'), ['-j', '-6', 'route', 'show', 'table', 'main', 'default']);
});

test('reads back a multipath, a plain and a split IPv6 route, ignoring other metrics', () => {
  const multi = '[{"dst":"default","metric":50,"flags":[],"nexthops":[{"gateway":"192.0.2.1","dev":"eth1","weight":3,"flags":[]},{"gateway":"198.51.100.1","dev":"eth2","weight":1,"flags":["linkdown"]}]},'
    + '{"dst":"default","gateway":"10.0.0.1","dev":"eth9","metric":600,"flags":[]}]';
  const hops = parseDefaultRoute(multi, 50);
  assert.equal(hops, [{ device: 'eth1', gateway: '192.0.2.1', weight: 3 }, { device: 'eth2', gateway: '198.51.100.1', weight: 1 }]);
  assert.ok(sameNexthops(planRoute(all, 'ipv4', new Set()).nexthops, hops));
  assert.equal(parseDefaultRoute('[{"dst":"default","dev":"wwan0","flags":[]}]', 0), [{ device: 'wwan0', weight: 1 }]);
  const split = '[{"dst":"default","gateway":"fe80::1","dev":"eth1","metric":1024},{"dst":"default","gateway":"fe80::2","dev":"eth2","metric":1024}]';
  assert.is(parseDefaultRoute(split, 1024).length, 2);
  assert.equal(parseDefaultRoute('', 0), []);
  assert.equal(parseDefaultRoute('not json', 0), []);
});

test('a changed weight, a missing or an extra nexthop is a difference', () => {
  const want = planRoute(all, 'ipv4', new Set()).nexthops;
  assert.not.ok(sameNexthops(want, [{ device: 'eth1', gateway: '192.0.2.1', weight: 1 }, { device: 'eth2', gateway: '198.51.100.1', weight: 1 }]));
  assert.not.ok(sameNexthops(want, want.slice(0, 1)));
  assert.not.ok(sameNexthops(want.slice(0, 1), want));
  // one nexthop: the kernel reports no weight for a plain route
  assert.ok(sameNexthops([{ device: 'eth1', gateway: '192.0.2.1', weight: 3 }], [{ device: 'eth1', gateway: '192.0.2.1', weight: 1 }]));
  assert.is(describeNexthops(want), 'via 192.0.2.1 dev eth1 weight 3, via 198.51.100.1 dev eth2 weight 1');
  assert.is(describeNexthops([]), '(none)');
});

test.run();
