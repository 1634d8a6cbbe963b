import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_HEALTH } from '../../src/config/defaults.ts';
import { formatProblems, loadConfig, summarizeProblems } from '../../src/config/load.ts';
import type { ConfigProblem } from '../../src/config/types.ts';
import { nodeFs } from '../../src/platform/node.ts';
import { FakeSpawner } from '../fakes/spawner.ts';
import { MemoryFs } from '../fakes/fs.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/config/', import.meta.url));
// An OpenWrt-shaped /etc/config/mwan3 of our own (two WireGuard uplinks, disabled IPv6 twins).
const MWAN3_SAMPLE = readFileSync(fileURLToPath(new URL('../fixtures/openwrt/mwan3.two-tunnels', import.meta.url)), 'utf8');

/** Read-only files in memory, for configs too small to deserve a fixture directory. */
const memFs = (files: Record<string, string>) => new MemoryFs(files, { readOnly: true });

const errors = (ps: ConfigProblem[]) => ps.filter((p) => p.severity === 'error');
const warnings = (ps: ConfigProblem[]) => ps.filter((p) => p.severity === 'warning');
const load = (files: Record<string, string>, spawner?: FakeSpawner) =>
  loadConfig(spawner ? { fs: memFs(files), spawner } : { fs: memFs(files) }, '/etc/config', { hostname: 'router1' });

test('an OpenWrt-shaped mwan3 file and no wanpulse file: the two enabled tunnels, marks by position', async () => {
  const { config, problems } = await load({ '/etc/config/mwan3': MWAN3_SAMPLE });
  assert.equal(errors(problems), []);
  assert.equal(warnings(problems).map((p) => [p.file, p.line]), [['/etc/config/wanpulse', 0]]);
  assert.ok(config);
  assert.equal(config.interfaces.map((i) => i.name), ['wg0', 'wg1']);
  const [wg0, wg1] = config.interfaces as [typeof config.interfaces[0], typeof config.interfaces[0]];
  assert.equal([wg0.mwan3Id, wg0.mark, wg0.family, wg0.device, wg0.deviceKnown], [1, 0x100, 'ipv4', 'wg0', false]);
  assert.equal([wg1.mwan3Id, wg1.mark], [3, 0x300]); // the disabled wg0_6 still takes number 2
  assert.equal(wg0.trackIps, ['10.200.0.1', '9.9.9.9', '149.112.112.112']);
  assert.equal(wg1.trackIps, ['10.200.1.1', '1.0.0.1']);
  assert.equal(wg0.health, { ...DEFAULT_HEALTH, reliability: 2 });
  assert.equal(wg1.health, { ...DEFAULT_HEALTH, reliability: 1 });
  assert.is(config.global.backend, 'mwan3');
  assert.is(config.global.mmxMask, 0x3f00);
  assert.equal(config.policies.map((p) => [p.name, p.used]), [['balanced', true], ['wg0_wg1', false], ['wg1_only', false]]);
  assert.equal(config.policies[0]!.members, [
    { iface: 'wg0', metric: 1, weight: 1 }, { iface: 'wg1', metric: 1, weight: 1 },
    { iface: 'wg0_6', metric: 1, weight: 1 }, { iface: 'wg1_6', metric: 1, weight: 1 },
  ]);
  assert.equal(config.untracked, []);
  assert.equal([config.mqtt.enabled, config.mqtt.clientId, config.mqtt.baseTopic], [false, 'wanpulse-router1', 'wanpulse/router1']);
});

test('with a spawner, devices only netifd knows come from ubus', async () => {
  const dump = JSON.stringify({ interface: [{ interface: 'wg0', l3_device: 'wg-home' }] });
  const spawner = new FakeSpawner(() => ({ code: 0, signal: null, stdout: dump, stderr: '' }));
  const { config } = await load({ '/etc/config/mwan3': MWAN3_SAMPLE }, spawner);
  assert.equal([config!.interfaces[0]!.device, config!.interfaces[0]!.deviceKnown], ['wg-home', true]);
  assert.equal([config!.interfaces[1]!.device, config!.interfaces[1]!.deviceKnown], ['wg1', false]);
});

test('without ubus the interface name stands in, and the warning points at the mwan3 section', async () => {
  const spawner = new FakeSpawner();
  spawner.missing.add('ubus');
  const { config, problems } = await load({ '/etc/config/mwan3': MWAN3_SAMPLE }, spawner);
  assert.is(config!.interfaces[0]!.device, 'wg0');
  const w = problems.filter((p) => /device unknown/.test(p.message));
  assert.equal(w.map((p) => [p.file, p.line, p.severity]), [['/etc/config/mwan3', 11, 'warning'], ['/etc/config/mwan3', 45, 'warning']]);
});

test('lab-like route config: interfaces from wanpulse only, one implicit policy', async () => {
  const { config, problems } = await loadConfig({ fs: nodeFs }, FIXTURES + 'lab-route', { hostname: 'gw1' });
  assert.equal(problems, []);
  assert.ok(config);
  assert.equal([config.global.backend, config.global.routeTable, config.global.routeMetric, config.global.logLevel], ['route', '100', 10, 'debug']);
  assert.equal(config.interfaces.map((i) => [i.name, i.device, i.gateway, i.weight, i.metric, i.mark]), [
    ['wg0', 'wg0', '10.0.1.1', 2, 1, 0],
    ['wg1', 'wg1', undefined, 1, 2, 0], // device by the WireGuard naming rule of /etc/config/network
  ]);
  assert.equal(config.interfaces.map((i) => [i.health.intervalMs, i.health.timeoutMs, i.health.down]), [[100, 250, 3], [100, 250, 5]]);
  assert.equal(config.policies, [{ name: 'default', used: true, members: [
    { iface: 'wg0', metric: 1, weight: 2 }, { iface: 'wg1', metric: 2, weight: 1 },
  ] }]);
  assert.equal([config.mqtt.enabled, config.mqtt.host, config.mqtt.port, config.mqtt.baseTopic], [true, '127.0.0.1', 18830, 'lab/gw1']);
  assert.match(config.mqtt.clientId, /^wanpulse-gw1(-[0-9a-f]{6})?$/); // this machine's MAC suffix (config/router-id.ts)
});

test('bad values: every problem at once, each at its line, and no config', async () => {
  const { config, problems } = await loadConfig({ fs: nodeFs }, FIXTURES + 'bad-values', { hostname: 'r' });
  assert.is(config, null);
  const file = FIXTURES + 'bad-values/wanpulse';
  assert.ok(problems.every((p) => p.file === file), JSON.stringify(problems));
  assert.equal(errors(problems).map((p) => p.line), [3, 4, 5, 6, 7, 8, 12, 13, 15, 16, 19, 20]);
  assert.equal(warnings(problems).map((p) => p.line), [9, 22]);
  const at = (line: number) => problems.find((p) => p.line === line)!.message;
  assert.match(at(3), /interval_ms 5 is out of range/);
  assert.match(at(7), /recovery_latency_ms \(500\) must not be greater than failure_latency_ms \(400\)/);
  assert.match(at(12), /not an IP address/);
  assert.match(at(13), /ipv6 but the interface is ipv4/);
  assert.match(at(15), /reliability 4 is more than the 3 track_ip/);
  assert.match(at(16), /not a valid device name/);
  assert.match(at(20), /base_topic 'home\/#'/);
});

test('mwan3 with an odd mask, wanpulse overrides and disables, untracked members', async () => {
  const { config, problems } = await loadConfig({ fs: nodeFs }, FIXTURES + 'mwan3-wg', { hostname: 'r' });
  assert.equal(errors(problems), []);
  assert.equal(warnings(problems).map((p) => p.message), ["mwan3 policy 'balanced': use_member 'nope' is not an mwan3 member: ignored"]);
  assert.ok(config);
  assert.equal(config.interfaces.map((i) => [i.name, i.mwan3Id, i.mark, i.device, i.health.reliability, i.health.intervalMs]), [
    ['wg0', 2, 0x20, 'wg0', 2, 250],
    ['wg1', 3, 0x30, 'wg1', 1, 100],
  ]);
  assert.equal(config.interfaces[1]!.trackIps, ['10.99.1.2', '10.99.1.3']);
  // lte has no track_ip (mwan3 keeps it online), wg2 is switched off in wanpulse: both usable members
  assert.equal((config.untracked ?? []).map((u) => u.name), ['lte', 'wg2']);
  assert.equal(config.policies.map((p) => [p.name, p.used, p.members.map((m) => m.iface)]), [
    ['balanced', true, ['wg0', 'wg1', 'lte']],
    ['unused', false, ['wg0']],
  ]);
});

test('backend mwan3 without /etc/config/mwan3 is an error; backend route does not need it', async () => {
  const missing = await load({});
  assert.is(missing.config, null);
  assert.equal(errors(missing.problems).map((p) => [p.file, p.line]), [['/etc/config/mwan3', 0]]);
  const route = await load({
    '/etc/config/wanpulse': "config globals\n option backend route\nconfig interface 'up1'\n option device eth1\n list track_ip 192.0.2.1\n",
  });
  assert.equal(errors(route.problems), []);
  assert.equal(route.config?.interfaces.map((i) => i.device), ['eth1']);
});

test('backend route: track_ip and a device are required', async () => {
  const { config, problems } = await load({
    '/etc/config/wanpulse': "config globals\n option backend route\n\nconfig interface 'up1'\n option family ipv6\n list track_ip 192.0.2.1\n\nconfig interface 'up2'\n option device eth2\n option gateway 2001:db8::1\n\nconfig interface\n option device eth3\n",
  });
  assert.is(config, null);
  assert.equal(errors(problems).map((p) => p.line), [4, 6, 8, 10, 12]);
  assert.match(errors(problems)[0]!.message, /needs option device/);
  assert.match(errors(problems)[1]!.message, /is ipv4 but the interface is ipv6/);
});

test('backend route: resilient nexthop group options, defaults and range', async () => {
  const route = "config interface 'up1'\n option device eth1\n list track_ip 192.0.2.1\n";
  const plain = await load({ '/etc/config/wanpulse': `config globals\n option backend route\n\n${route}` });
  assert.is(plain.config!.global.routeResilient, true);
  assert.is(plain.config!.global.routeIdleTimerS, 30);
  const set = await load({ '/etc/config/wanpulse': `config globals\n option backend route\n option route_resilient 0\n option route_idle_timer_s 5\n\n${route}` });
  assert.equal(warnings(set.problems), []);
  assert.is(set.config!.global.routeResilient, false);
  assert.is(set.config!.global.routeIdleTimerS, 5);
  const bad = await load({ '/etc/config/wanpulse': `config globals\n option backend route\n option route_idle_timer_s 0\n\n${route}` });
  assert.is(bad.config, null);
  assert.match(errors(bad.problems)[0]!.message, /route_idle_timer_s 0 is out of range/);
  assert.is(errors(bad.problems)[0]!.line, 3);
});

test('mwan3 checks: reliability above the targets, too many interfaces for the mask, unknown iface', async () => {
  const mwan3 = "config globals 'globals'\n option mmx_mask '0x700'\n" +
    ['a', 'b', 'c', 'd', 'e'].map((n) => `config interface '${n}'\n option enabled 1\n list track_ip 192.0.2.1\n option reliability ${n === 'a' ? 2 : 1}\n`).join('');
  const { config, problems } = await load({
    '/etc/config/mwan3': mwan3,
    '/etc/config/wanpulse': "config interface 'zz'\n option interval_ms 100\n",
  });
  assert.is(config, null);
  assert.equal(problems.map((p) => [p.file, p.line, p.severity]), [
    ['/etc/config/wanpulse', 1, 'warning'],
    ['/etc/config/mwan3', 6, 'error'],
    ['/etc/config/mwan3', 19, 'error'],
  ]);
  assert.match(problems[1]!.message, /reliability 2 is more than the 1 track_ip/);
  assert.match(problems[2]!.message, /interface number 5, but mmx_mask 0x700 leaves room for 4/);
});

test('globals enabled 0 still loads (the daemon exits at once); anonymous sections work', async () => {
  const { config, problems } = await load({
    '/etc/config/mwan3': MWAN3_SAMPLE,
    '/etc/config/wanpulse': "config globals\n option enabled 0\n option flap_window_s 60\n",
  });
  assert.equal(problems, []);
  assert.is(config!.global.enabled, false);
  assert.is(config!.interfaces[0]!.health.flapWindowMs, 60_000);
});

test('mqtt: tls moves the default port, password_file wins, a missing ca_file is an error', async () => {
  const base = "config mqtt 'mqtt'\n option enabled 1\n option tls 1\n option username u\n option password inline\n option password_file /etc/wanpulse.pw\n";
  const good = await load({ '/etc/config/mwan3': MWAN3_SAMPLE, '/etc/config/wanpulse': base, '/etc/wanpulse.pw': 's3cret\n' });
  assert.equal(errors(good.problems), []);
  assert.equal([good.config!.mqtt.port, good.config!.mqtt.password, good.config!.mqtt.tls], [8883, 's3cret', true]);
  const bad = await load({ '/etc/config/mwan3': MWAN3_SAMPLE, '/etc/config/wanpulse': base + " option ca_file /etc/ca.pem\n" });
  assert.equal(errors(bad.problems).map((p) => p.line), [6, 7]);
});

test('formatProblems prints file:line: severity: message, sorted by line within a file', () => {
  const text = formatProblems([
    { file: '/etc/config/wanpulse', line: 9, severity: 'warning', message: 'b' },
    { file: '/etc/config/wanpulse', line: 3, severity: 'error', message: 'a' },
    { file: '/etc/config/mwan3', line: 0, severity: 'error', message: 'not found' },
  ]);
  assert.is(text, '/etc/config/wanpulse:3: error: a\n/etc/config/wanpulse:9: warning: b\n/etc/config/mwan3: error: not found\n');
  assert.is(formatProblems([]), '');
  assert.is(summarizeProblems([]), 'configuration OK');
  assert.is(summarizeProblems([{ file: 'f', line: 1, severity: 'error', message: 'x' }]), '1 error, 0 warnings');
});

test('a broken /etc/config/network only warns: it merely hints at devices', async () => {
  const { config, problems } = await load({
    '/etc/config/mwan3': MWAN3_SAMPLE,
    '/etc/config/network': "config interface 'wan'\n option proto 'dhcp\n",
  });
  assert.ok(config);
  assert.equal(problems.filter((p) => p.file.endsWith('network')).map((p) => [p.line, p.severity]), [[2, 'warning']]);
  assert.equal(errors(problems), []);
});

test.run();
