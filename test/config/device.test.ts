import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_HEALTH } from '../../src/config/defaults.ts';
import { parseInterfaceDump, resolveDevices } from '../../src/config/device.ts';
import type { InterfaceConfig } from '../../src/config/types.ts';
import { memoryLog } from '../../src/platform/log.ts';
import { FakeSpawner } from '../fakes/spawner.ts';

const iface = (name: string, device: string, deviceKnown: boolean): InterfaceConfig => ({
  name, device, deviceKnown, family: 'ipv4', trackIps: ['192.0.2.1'], health: { ...DEFAULT_HEALTH },
  mwan3Id: 1, mark: 0x100, weight: 1, metric: 1,
});

// the shape netifd prints (trimmed): l3_device is the device packets leave through
const DUMP = JSON.stringify({
  interface: [
    { interface: 'wan', up: true, device: 'eth0.2', l3_device: 'pppoe-wan', proto: 'pppoe' },
    { interface: 'lte', up: true, device: 'wwan0', l3_device: 'wwan0', proto: 'qmi' },
    { interface: 'down', up: false, device: 'eth3', proto: 'dhcp' },
  ],
});

const ok = (stdout: string) => ({ code: 0, signal: null, stdout, stderr: '' });

test('fills devices from l3_device with one ubus call (argv, 3 s timeout)', async () => {
  const spawner = new FakeSpawner(() => ok(DUMP));
  const log = memoryLog();
  const ifaces = [iface('wan', 'wan', false), iface('lte', 'lte', false), iface('wg0', 'wg0', true)];
  await resolveDevices(ifaces, spawner, log);
  assert.equal(ifaces.map((i) => [i.device, i.deviceKnown]), [['pppoe-wan', true], ['wwan0', true], ['wg0', true]]);
  assert.equal(spawner.runs.map((r) => r.argv), [['ubus', 'call', 'network.interface', 'dump']]);
  assert.is(spawner.runs[0]!.opts.timeoutMs, 3000);
  assert.equal(log.lines, []);
});

test('no ubus call when every device is known', async () => {
  const spawner = new FakeSpawner(() => ok(DUMP));
  await resolveDevices([iface('wg0', 'wg0', true)], spawner, memoryLog());
  assert.is(spawner.runs.length, 0);
});

test('an interface netifd does not know (or without l3_device) keeps its name, with a warning', async () => {
  const spawner = new FakeSpawner(() => ok(DUMP));
  const log = memoryLog();
  const ifaces = [iface('down', 'down', false), iface('ghost', 'ghost', false)];
  await resolveDevices(ifaces, spawner, log);
  assert.equal(ifaces.map((i) => [i.device, i.deviceKnown]), [['down', false], ['ghost', false]]);
  assert.is(log.lines.length, 2);
  assert.match(log.lines[0]!, /^warn: interface down: device unknown/);
  assert.match(log.lines[1]!, /interface ghost/);
});

test('ubus missing: every wanted interface keeps its name, and the warning says why', async () => {
  const spawner = new FakeSpawner();
  spawner.missing.add('ubus');
  const log = memoryLog();
  const ifaces = [iface('wan', 'wan', false)];
  await resolveDevices(ifaces, spawner, log);
  assert.is(ifaces[0]!.device, 'wan');
  assert.match(log.lines[0]!, /ubus is not installed/);
});

test('ubus failing or printing garbage degrades the same way', async () => {
  for (const result of [
    { code: 4, signal: null, stdout: '', stderr: 'Command failed: Not found' },
    { code: null, signal: 'SIGKILL', stdout: '', stderr: '' },
    ok('not json'),
    ok('{"interface": 5}'),
  ]) {
    const log = memoryLog();
    const ifaces = [iface('wan', 'wan', false)];
    await resolveDevices(ifaces, new FakeSpawner(() => result), log);
    assert.is(ifaces[0]!.device, 'wan');
    assert.is(log.lines.length, 1);
  }
});

test('a device name unsafe for argv is not taken from ubus', async () => {
  const dump = JSON.stringify({ interface: [{ interface: 'wan', l3_device: 'eth0 -x' }] });
  const ifaces = [iface('wan', 'wan', false)];
  await resolveDevices(ifaces, new FakeSpawner(() => ok(dump)), memoryLog());
  assert.is(ifaces[0]!.device, 'wan');
});

test('parseInterfaceDump skips entries without an interface name', () => {
  assert.equal(parseInterfaceDump('{"interface":[{"interface":"a","l3_device":"x"},{"l3_device":"y"},null]}'), [{ interface: 'a', l3_device: 'x' }]);
  assert.is(parseInterfaceDump('[]'), null);
});

test.run();
