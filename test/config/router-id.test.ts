import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compareIfNames, routerId, routerMac } from '../../src/config/router-id.ts';
import { loadConfig } from '../../src/config/load.ts';
import { MemoryFs } from '../fakes/fs.ts';

/** /sys/class/net as the kernel shows it: `device` only for hardware-backed interfaces */
function sysNet(ifaces: Record<string, { mac: string; hw?: boolean }>): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [name, { mac, hw }] of Object.entries(ifaces)) {
    files[`/sys/class/net/${name}/address`] = `${mac}\n`;
    if (hw) files[`/sys/class/net/${name}/device/uevent`] = 'DRIVER=x\n';
  }
  return files;
}

const ROUTER = sysNet({
  'br-lan': { mac: '02:11:22:33:44:55' },
  eth1: { mac: '94:83:c4:00:00:02', hw: true },
  eth0: { mac: '94:83:C4:4F:21:C0', hw: true },
  lo: { mac: '00:00:00:00:00:00' },
  wg0: { mac: '' },
  'phy0-ap0': { mac: '94:83:c4:00:00:03', hw: true },
});

test('interface names sort by text, then by their number', () => {
  assert.equal(['wlan0', 'eth10', 'eth2', 'eth', 'br-lan', 'eth0'].sort(compareIfNames), ['br-lan', 'eth', 'eth0', 'eth2', 'eth10', 'wlan0']);
});

test('the first hardware interface with a globally unique address names the router', async () => {
  assert.equal(await routerMac(new MemoryFs(ROUTER)), { iface: 'eth0', mac: '94:83:c4:4f:21:c0' });
  assert.is(await routerId('OpenWrt', new MemoryFs(ROUTER)), 'OpenWrt-4f21c0');
});

test('bridges, tunnels and random addresses are never used; a VM\'s local address is, when nothing else is', async () => {
  const vm = sysNet({ 'br-lan': { mac: '00:11:22:33:44:55' }, eth0: { mac: '52:54:00:12:34:56', hw: true } });
  assert.is(await routerId('OpenWrt', new MemoryFs(vm)), 'OpenWrt-123456');
  const none = sysNet({ 'br-lan': { mac: '00:11:22:33:44:55' }, lo: { mac: '00:00:00:00:00:00' }, eth0: { mac: 'ff:ff:ff:ff:ff:ff', hw: true } });
  assert.is(await routerId('OpenWrt', new MemoryFs(none)), 'OpenWrt');
  assert.is(await routerId('my router!', new MemoryFs({})), 'my_router_');
});

test('two routers called OpenWrt get different default client ids and base topics, stable across loads', async () => {
  const other = { ...ROUTER, '/sys/class/net/eth0/address': '94:83:c4:9a:0b:7e\n' };
  const wanpulse = "config mqtt 'mqtt'\n option enabled '1'\n";
  const mwan3 = "config interface 'wan'\n option enabled '1'\n list track_ip '1.1.1.1'\n";
  const load = (sys: Record<string, string>) => loadConfig({ fs: new MemoryFs({ ...sys, '/etc/config/wanpulse': wanpulse, '/etc/config/mwan3': mwan3 }) },
    '/etc/config', { hostname: 'OpenWrt' });
  const a = (await load(ROUTER)).config!.mqtt;
  const b = (await load(other)).config!.mqtt;
  assert.equal([a.clientId, a.baseTopic, a.routerId], ['wanpulse-OpenWrt-4f21c0', 'wanpulse/OpenWrt-4f21c0', 'OpenWrt-4f21c0']);
  assert.equal([b.clientId, b.baseTopic], ['wanpulse-OpenWrt-9a0b7e', 'wanpulse/OpenWrt-9a0b7e']);
  assert.equal((await load(ROUTER)).config!.mqtt.clientId, a.clientId);
  const explicit = await loadConfig({ fs: new MemoryFs({ ...ROUTER, '/etc/config/mwan3': mwan3,
    '/etc/config/wanpulse': `${wanpulse} option client_id 'gw'\n option base_topic 'home/gw'\n` }) }, '/etc/config', { hostname: 'OpenWrt' });
  assert.equal([explicit.config!.mqtt.clientId, explicit.config!.mqtt.baseTopic], ['gw', 'home/gw']);
});

test.run();
