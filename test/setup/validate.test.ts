// Bad descriptions: one clear message each, exit 1, nothing written.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describe } from '../../src/setup/describe.ts';
import { router } from './harness.ts';

const HEAD = "config setup 'setup'\n\toption lan '192.168.1.1/24'\n";
const up = (name: string, endpoint: string, extra = '') => `config uplink '${name}'\n\toption endpoint '${endpoint}'\n${extra}`;
const TWO = up('wg0', '172.30.1.2') + up('wg1', '172.30.2.2');

const cases: [string, string, RegExp][] = [
  ['duplicate names', HEAD + up('wg0', '172.30.1.2') + up('wg0', '172.30.2.2'), /:5: error: duplicate name: section 'wg0' is defined again \(first at line 3\)/],
  ['duplicate names given with option name', HEAD + "config uplink\n\toption name 'a'\n\toption endpoint '172.30.1.2'\nconfig uplink\n\toption name 'a'\n\toption endpoint '172.30.2.2'\n", /:7: error: uplink 'a': duplicate name 'a' \(first at line 3\)/],
  ['an endpoint inside the tunnel range', HEAD + up('wg0', '10.91.7.7') + up('wg1', '172.30.2.2'), /error: uplink 'wg0': endpoint 10\.91\.7\.7 is inside the tunnel range 10\.91\.0\.0\/16/],
  ['the tunnel subnet overlapping the LAN', "config setup\n\toption lan '10.91.200.1/24'\n" + TWO, /error: tunnel_subnet 10\.91\.0\.0\/16 overlaps the LAN 10\.91\.200\.0\/24/],
  ['two uplink tunnels overlapping', HEAD + up('wg0', '172.30.1.2', "\toption tunnel '10.50.0.0/16'\n") + up('wg1', '172.30.2.2', "\toption tunnel '10.50.3.0/24'\n"), /error: uplink 'wg0': tunnel 10\.50\.0\.0\/16 overlaps the tunnel 10\.50\.3\.0\/24 of 'wg1'/],
  ['one uplink only', HEAD + up('wg0', '172.30.1.2'), /:3: error: only one uplink: setup needs at least two/],
  ['a name that is no interface name', HEAD + up('wg-0', '172.30.1.2') + up('wg1', '172.30.2.2'), /error: invalid section name 'wg-0'/],
  ['a name that is no interface name (option name)', HEAD + "config uplink\n\toption name 'wg 0'\n\toption endpoint '172.30.1.2'\n" + up('wg1', '172.30.2.2'), /'wg 0' is not a valid interface name/],
  ['a name too long for mwan3', HEAD + up('uplinkrouter1', '172.30.1.2') + up('wg1', '172.30.2.2'), /'uplinkrouter1' is not a valid interface name: a letter, then up to 10/],
  ["a name OpenWrt already uses", HEAD + up('wan', '172.30.1.2') + up('wg1', '172.30.2.2'), /'wan' is the name of one of OpenWrt's own interfaces/],
  ['a bad endpoint address', HEAD + up('wg0', '172.30.1.256') + up('wg1', '172.30.2.2'), /endpoint '172\.30\.1\.256': '172\.30\.1\.256' is not an IPv4 address/],
  ['a host name as endpoint', HEAD + up('wg0', 'up1.example.net') + up('wg1', '172.30.2.2'), /not an IPv4 address \(mwan3 can only exempt addresses/],
  ['a bad port', HEAD + up('wg0', '172.30.1.2:70000') + up('wg1', '172.30.2.2'), /port '70000' is not a number from 1 to 65535/],
  ['the same endpoint twice', HEAD + up('wg0', '172.30.1.2') + up('wg1', '172.30.1.2:51820'), /uplink 'wg0': same endpoint 172\.30\.1\.2:51820 as 'wg1'/],
  ['a bad LAN', "config setup\n\toption lan '192.168.1.0/24'\n" + TWO, /lan '192\.168\.1\.0\/24' must be the router's own address/],
  ['no LAN', "config setup\n\toption mode 'balanced'\n" + TWO, /setup: no lan: give the main router's LAN address/],
  ['a bad mode', "config setup\n\toption mode 'both'\n\toption lan '192.168.1.1/24'\n" + TWO, /mode 'both' is not one of: balanced, failover/],
  ['a bad MTU', "config setup\n\toption mtu '9000'\n\toption lan '192.168.1.1/24'\n" + TWO, /mtu 9000 is out of range/],
  ['a bad key', HEAD + up('wg0', '172.30.1.2', "\toption private_key 'secret'\n") + up('wg1', '172.30.2.2'), /private_key is not a WireGuard key/],
];

for (const [what, text, message] of cases) {
  test(`refused: ${what}`, async () => {
    const { description, problems } = describe(text, 'setup.conf');
    assert.is(description, null);
    const errors = problems.filter((p) => p.severity === 'error');
    assert.is(errors.length, 1, JSON.stringify(errors));
    const r = router({ description: text });
    const res = await r.run(['--out', '/out', '--apply']);
    assert.is(res.code, 1);
    assert.match(res.stderr, message);
    assert.match(res.stderr, /nothing written/);
    assert.equal([...r.fs.files.keys()].filter((k) => k.startsWith('/out')), []);
    assert.is(r.spawner.runs.length, 0, 'nothing spawned');
  });
}

test('a good description has no problems at all', () => {
  const { description, problems } = describe(HEAD + TWO, 'setup.conf');
  assert.equal(problems, []);
  assert.equal(description!.uplinks.map((u) => [u.name, u.mainAddr, u.upAddr, u.endpointPort]), [['wg0', '10.91.1.2', '10.91.1.1', 51820], ['wg1', '10.91.2.2', '10.91.2.1', 51820]]);
});

test('a small tunnel subnet is cut into /30s', () => {
  const { description } = describe("config setup\n\toption lan '192.168.1.1/24'\n\toption tunnel_subnet '10.9.9.0/24'\n" + TWO, 's');
  assert.equal(description!.uplinks.map((u) => `${u.mainAddr}/${u.tunnel.prefix}`), ['10.9.9.6/30', '10.9.9.10/30']);
});

test('a missing description file is named', async () => {
  const r = router();
  const res = await r.run(['/nowhere.conf']);
  assert.is(res.code, 1);
  assert.match(res.stderr, /cannot read the description \/nowhere\.conf/);
});

test.run();
