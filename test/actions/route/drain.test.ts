import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { conntrackDeleteArgs, drainUplink, parseAddresses, parseDeletedCount, primeAddresses, type AddressCache } from '../../../src/actions/route/drain.ts';
import { memoryLog } from '../../../src/platform/log.ts';
import { FakeSpawner } from '../../fakes/spawner.ts';

const addrJson = JSON.stringify([{
  ifname: 'wg0', addr_info: [
    { family: 'inet', local: '10.8.0.2', scope: 'global' },
    { family: 'inet', local: '10.8.0.3', scope: 'global' },
    { family: 'inet6', local: '2001:db8::2', scope: 'global' },
    { family: 'inet6', local: 'fe80::2', scope: 'link' },
  ],
}]);

test('drains by the uplink\'s own global addresses of the family', () => {
  assert.equal(parseAddresses(addrJson, 'ipv4'), ['10.8.0.2', '10.8.0.3']);
  assert.equal(parseAddresses(addrJson, 'ipv6'), ['2001:db8::2']);
  assert.equal(parseAddresses('garbage', 'ipv4'), []);
  assert.equal(conntrackDeleteArgs('ipv6', '2001:db8::2'), ['-D', '-f', 'ipv6', '--reply-dst', '2001:db8::2']);
});

test('an empty drain (conntrack exits 1) is a success; an unknown failure is reported', async () => {
  assert.is(parseDeletedCount('conntrack v1.4.7 (conntrack-tools): 0 flow entries have been deleted.\n'), 0);
  assert.is(parseDeletedCount('conntrack v1.4.7 (conntrack-tools): 12 flow entries have been deleted.'), 12);
  assert.is(parseDeletedCount('conntrack v1.4.7 (conntrack-tools): Operation failed: invalid parameters'), null);
  const spawner = new FakeSpawner((argv) => argv[0] === 'ip'
    ? { code: 0, signal: null, stdout: addrJson, stderr: '' }
    : argv.includes('10.8.0.2')
      ? { code: 1, signal: null, stdout: '', stderr: 'conntrack v1.4.7 (conntrack-tools): 0 flow entries have been deleted.\n' }
      : argv.includes('10.8.0.3')
        // an entry that expired between listing and deleting
        ? { code: 1, signal: null, stdout: '', stderr: 'conntrack v1.4.7 (conntrack-tools): Operation failed: such conntrack doesn\'t exist\n' }
        : { code: 1, signal: null, stdout: '', stderr: 'conntrack v1.4.7 (conntrack-tools): Operation failed: invalid parameters\n' });
  const report = await drainUplink({ spawner, log: memoryLog(), ipPath: 'ip', conntrackPath: 'conntrack' }, 'wg0', 'ipv4');
  assert.equal(report.addresses, ['10.8.0.2', '10.8.0.3']);
  assert.is(report.deleted, 0);
  assert.equal(report.errors, [], 'nothing matched is not an error');
  const odd = JSON.stringify([{ ifname: 'wg0', addr_info: [{ family: 'inet', local: '10.8.0.9', scope: 'global' }] }]);
  const failing = new FakeSpawner((argv) => argv[0] === 'ip'
    ? { code: 0, signal: null, stdout: odd, stderr: '' }
    : { code: 1, signal: null, stdout: '', stderr: 'conntrack v1.4.7 (conntrack-tools): Operation failed: invalid parameters\n' });
  const bad = await drainUplink({ spawner: failing, log: memoryLog(), ipPath: 'ip', conntrackPath: 'conntrack' }, 'wg0', 'ipv4');
  assert.is(bad.errors.length, 1);
  assert.match(bad.errors[0]!, /10\.8\.0\.9: .*invalid parameters/);
});

test('known addresses are drained by before the look-up; an address that changed meanwhile is drained by after it', async () => {
  let current = '10.8.0.2';
  const calls: string[] = [];
  const spawner = new FakeSpawner((argv) => {
    calls.push(argv.join(' '));
    return argv[0] === 'ip'
      ? { code: 0, signal: null, stdout: JSON.stringify([{ ifname: 'wg0', addr_info: [{ family: 'inet', local: current, scope: 'global' }] }]), stderr: '' }
      : { code: 0, signal: null, stdout: '', stderr: 'conntrack v1.4.7 (conntrack-tools): 2 flow entries have been deleted.\n' };
  });
  const deps = { spawner, log: memoryLog(), ipPath: 'ip', conntrackPath: 'conntrack' };
  const cache: AddressCache = new Map();
  await primeAddresses(deps, cache, [{ device: 'wg0', family: 'ipv4' }]);
  assert.equal(calls, ['ip -j -4 addr show dev wg0']);
  calls.length = 0;
  const r1 = await drainUplink(deps, 'wg0', 'ipv4', cache);
  assert.equal(calls, ['conntrack -D -f ipv4 --reply-dst 10.8.0.2', 'ip -j -4 addr show dev wg0']);
  assert.equal([r1.addresses, r1.deleted, r1.errors], [['10.8.0.2'], 2, []]);
  // DHCP gave the uplink another address since: the old one is drained by first (its entries are
  // dead anyway), then the new one
  current = '10.8.0.7';
  calls.length = 0;
  const r2 = await drainUplink(deps, 'wg0', 'ipv4', cache);
  assert.equal(calls, ['conntrack -D -f ipv4 --reply-dst 10.8.0.2', 'ip -j -4 addr show dev wg0', 'conntrack -D -f ipv4 --reply-dst 10.8.0.7']);
  assert.equal([r2.addresses, r2.deleted], [['10.8.0.2', '10.8.0.7'], 4]);
  calls.length = 0;
  await drainUplink(deps, 'wg0', 'ipv4', cache);
  assert.equal(calls, ['conntrack -D -f ipv4 --reply-dst 10.8.0.7', 'ip -j -4 addr show dev wg0'], 'the cache follows the look-up');
  // a look-up that fails at start leaves the drain to look up first, as without a cache
  const failing = new FakeSpawner((argv) => argv[0] === 'ip' ? { code: 1, signal: null, stdout: '', stderr: 'Device "wg9" does not exist.\n' } : { code: 0, signal: null, stdout: '', stderr: '' });
  const empty: AddressCache = new Map();
  await primeAddresses({ ...deps, spawner: failing }, empty, [{ device: 'wg9', family: 'ipv4' }]);
  assert.is(empty.size, 0);
  const r3 = await drainUplink({ ...deps, spawner: failing }, 'wg9', 'ipv4', empty);
  assert.equal(r3.errors, ['ip addr show dev wg9: Device "wg9" does not exist.']);
});

test('a device without an address or a missing binary is reported, never thrown', async () => {
  const noAddr = new FakeSpawner(() => ({ code: 0, signal: null, stdout: '[{"ifname":"wg0","addr_info":[]}]', stderr: '' }));
  const r1 = await drainUplink({ spawner: noAddr, log: memoryLog(), ipPath: 'ip', conntrackPath: 'conntrack' }, 'wg0', 'ipv4');
  assert.match(r1.errors[0]!, /no ipv4 address/);
  const missing = new FakeSpawner();
  missing.missing.add('ip');
  const r2 = await drainUplink({ spawner: missing, log: memoryLog(), ipPath: 'ip', conntrackPath: 'conntrack' }, 'wg0', 'ipv4');
  assert.match(r2.errors[0]!, /not found/);
});

test.run();
