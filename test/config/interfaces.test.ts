import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { networkDevices } from '../../src/config/interfaces.ts';
import { parseUci } from '../../src/config/uci.ts';

test('devices from /etc/config/network: WireGuard by name, static/dhcp by device, runtime devices left to ubus', () => {
  const { sections } = parseUci(`
config interface 'wg0'
	option proto 'wireguard'
config interface 'wan'
	option proto 'dhcp'
	option device 'eth1'
config interface 'old'
	option proto 'static'
	option ifname 'eth2'
config interface 'lan'
	option proto 'static'
	option type 'bridge'
	option ifname 'eth0 eth3'
config interface 'dsl'
	option proto 'pppoe'
	option device 'eth0.7'
config interface 'wan6'
	option proto 'dhcpv6'
	option device '@wan'
config interface 'waytoolongforadevicename'
	option proto 'wireguard'
config device
	option name 'br-x'
`, 'network');
  assert.equal([...networkDevices(sections)], [['wg0', 'wg0'], ['wan', 'eth1'], ['old', 'eth2'], ['lan', 'br-lan']]);
});

test.run();
