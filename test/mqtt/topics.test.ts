import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  eventPayload, summaryPayload, topicNames, uplinkChangeKey, uplinkPayload,
} from '../../src/mqtt/topics.ts';
import type { PolicyConfig } from '../../src/config/types.ts';
import { T0, uplink } from './sample.ts';

test('topic names under the base topic; empty base means wanpulse/<router id>', () => {
  const n = topicNames('wanpulse/router1', 'homeassistant', 'router1');
  assert.is(n.status, 'wanpulse/router1/status');
  assert.is(n.summary, 'wanpulse/router1/summary');
  assert.is(n.event, 'wanpulse/router1/event');
  assert.is(n.uplink('wg0'), 'wanpulse/router1/uplink/wg0');
  assert.is(n.haStatus, 'homeassistant/status');
  assert.is(topicNames('', '', 'gw').status, 'wanpulse/gw/status');
  assert.is(topicNames('/home/wan/', 'ha/', 'gw').uplink('wg1'), 'home/wan/uplink/wg1');
  assert.is(topicNames('', 'homeassistant', 'gw').haStatus, 'homeassistant/status');
});

test('wildcards or slashes in a name cannot break the topic tree', () => {
  const n = topicNames('b', 'homeassistant', 'r');
  assert.is(n.uplink('a/b+#'), 'b/uplink/a_b__');
});

test('uplink payload has exactly the documented fields, ISO time, rounded figures', () => {
  const p = uplinkPayload(uplink('wg0', 'degraded', { rttMs: 12.3456, jitterMs: null, lossPct: 33.333, owner: 'wanpulse', reason: 'loss 33% > 20%' }));
  assert.equal(Object.keys(p), ['state', 'since', 'rtt_ms', 'jitter_ms', 'loss_pct', 'targets', 'owner', 'reason', 'probing', 'last_switch']);
  assert.is(p.state, 'degraded');
  assert.is(p.since, '2026-01-15T10:30:00.000Z');
  assert.is(p.rtt_ms, 12.35);
  assert.is(p.jitter_ms, null);
  assert.is(p.loss_pct, 33.3);
  assert.is(p.owner, 'wanpulse');
  assert.is(p.reason, 'loss 33% > 20%');
  assert.equal(Object.keys(p.targets[0]!), ['ip', 'up', 'rtt_ms', 'loss_pct']);
  assert.equal(p.targets[0], { ip: '192.0.2.1', up: true, rtt_ms: 12.35, loss_pct: 0 });
  assert.is(p.probing, 'fast');
  assert.is(p.last_switch, null, 'no switchover yet');
});

test('uplink payload: the probe rate, and the last switchover with its routing and total time', () => {
  const sw = { direction: 'down' as const, reason: 'r', at: T0 + 500, ok: true, steps: [{ step: 'route', ms: 7 }], routeMs: 7, totalMs: 31 };
  const p = uplinkPayload(uplink('wg0', 'offline', { probing: 'slow', lastSwitch: sw }));
  assert.is(p.probing, 'slow');
  assert.equal(p.last_switch, { direction: 'down', at: '2026-01-15T10:30:00.500Z', ok: true, route_ms: 7, total_ms: 31 });
  // a switchover that changed no routing (backend none), and a status without the rate
  const { routeMs: _, ...noRoute } = sw;
  const q = uplinkPayload(uplink('wg0', 'online', { lastSwitch: { ...noRoute, direction: 'up', ok: false, error: 'hotplug failed' } }));
  assert.equal(q.last_switch, { direction: 'up', at: '2026-01-15T10:30:00.500Z', ok: false, route_ms: null, total_ms: 31 });
  assert.is(q.probing, 'fast');
});

test('change key moves with state, owner, reason, target up/down, probe rate and a new switchover, not with RTT or loss', () => {
  const base = uplink('wg0', 'online', { probing: 'fast' });
  const k = uplinkChangeKey(base);
  assert.is(uplinkChangeKey({ ...base, rttMs: 99, jitterMs: 9, lossPct: 10 }), k);
  assert.is.not(uplinkChangeKey({ ...base, probing: 'slow' }), k);
  const sw = { direction: 'up' as const, reason: 'r', at: T0, ok: true, steps: [], routeMs: 3, totalMs: 9 };
  const withSwitch = uplinkChangeKey({ ...base, lastSwitch: sw });
  assert.is.not(withSwitch, k);
  assert.is(uplinkChangeKey({ ...base, lastSwitch: { ...sw }, rttMs: 50 }), withSwitch, 'the same switchover again is no change');
  assert.is.not(uplinkChangeKey({ ...base, lastSwitch: { ...sw, at: T0 + 9000 } }), withSwitch, 'the next switchover is');
  assert.is.not(uplinkChangeKey({ ...base, state: 'offline' }), k);
  assert.is.not(uplinkChangeKey({ ...base, owner: 'wanpulse' }), k);
  assert.is.not(uplinkChangeKey({ ...base, reason: 'x' }), k);
  assert.is.not(uplinkChangeKey({ ...base, targets: [{ ...base.targets[0]!, up: false }, base.targets[1]!] }), k);
});

const policies: PolicyConfig[] = [
  { name: 'balanced', members: [{ iface: 'wg0', metric: 1, weight: 3 }, { iface: 'wg1', metric: 1, weight: 1 }, { iface: 'wg2', metric: 2, weight: 1 }] },
  { name: 'wg0_only', members: [{ iface: 'wg0', metric: 1, weight: 1 }] },
];

test('summary: online count, and weight shares of the lowest usable metric tier per policy', () => {
  const all = summaryPayload([uplink('wg0'), uplink('wg1'), uplink('wg2')], policies);
  assert.equal(all, {
    online: 3, total: 3,
    members: [
      { policy: 'balanced', iface: 'wg0', share_pct: 75 },
      { policy: 'balanced', iface: 'wg1', share_pct: 25 },
      { policy: 'wg0_only', iface: 'wg0', share_pct: 100 },
    ],
  });
});

test('summary: a dead tier hands the whole share to the next metric; degraded still carries', () => {
  const s = summaryPayload([uplink('wg0', 'offline'), uplink('wg1', 'offline'), uplink('wg2', 'degraded')], policies);
  assert.is(s.online, 0);
  assert.is(s.total, 3);
  assert.equal(s.members, [{ policy: 'balanced', iface: 'wg2', share_pct: 100 }]);
  const one = summaryPayload([uplink('wg0', 'offline'), uplink('wg1'), uplink('wg2')], policies);
  assert.equal(one.members, [{ policy: 'balanced', iface: 'wg1', share_pct: 100 }]);
});

test('event payload: iface, from, to, reason, detect_ms, ISO time', () => {
  const e = eventPayload({ iface: 'wg0', from: 'online', to: 'offline', reason: '3 rounds lost', detectMs: 612.4, at: T0 + 1500 });
  assert.equal(e, { iface: 'wg0', from: 'online', to: 'offline', reason: '3 rounds lost', detect_ms: 612, at: '2026-01-15T10:30:01.500Z' });
  assert.is(eventPayload({ iface: 'wg0', from: 'unknown', to: 'online', reason: 'r', detectMs: null, at: T0 }).detect_ms, null);
});

test.run();
