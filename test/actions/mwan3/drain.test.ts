import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { drainByMark, isDrainableMark, memberMark, parseIpsetMembers } from '../../../src/actions/mwan3/drain.ts';
import { memoryLog } from '../../../src/platform/log.ts';
import type { RunResult } from '../../../src/platform/ports.ts';
import { FakeClock } from '../../fakes/clock.ts';
import { FakeSpawner } from '../../fakes/spawner.ts';

const ok = (stdout = '', stderr = '', code = 0): RunResult => ({ code, signal: null, stdout, stderr });
const deleted = (n: number) => ok('', `conntrack v1.4.7 (conntrack-tools): ${n} flow entries have been deleted.\n`, n > 0 ? 0 : 1);

const LISTING = `Name: mwan3_rule_ipv4_https
Type: hash:ip,mark
Revision: 2
Header: family inet markmask 0x00003f00 hashsize 1024 maxelem 65536 timeout 600
Size in memory: 512
References: 1
Number of entries: 3
Members:
192.168.1.10,0x00000100 timeout 512
192.168.1.11,0x00000200 timeout 77
192.168.1.12,0x00000100 timeout 3
`;

test('conntrack gets the family and the mark/mask in hex', async () => {
  const sp = new FakeSpawner((argv) => (argv[0] === 'conntrack' ? deleted(3) : ok()));
  const r4 = await drainByMark(sp, memoryLog(), 0x100, 0x3f00, 'ipv4');
  const r6 = await drainByMark(sp, memoryLog(), 0x200, 0x3f00, 'ipv6');
  const ct = sp.runs.filter((r) => r.argv[0] === 'conntrack').map((r) => r.argv.join(' '));
  assert.equal(ct, ['conntrack -D -f ipv4 -m 0x100/0x3f00', 'conntrack -D -f ipv6 -m 0x200/0x3f00']);
  assert.ok(r4.ok && r6.ok);
  assert.is(r4.flowsDeleted, 3);
});

test('"0 flow entries" with exit status 1 is success, not an error', async () => {
  const sp = new FakeSpawner((argv) => (argv[0] === 'conntrack' ? deleted(0) : ok()));
  const r = await drainByMark(sp, memoryLog(), 0x100, 0x3f00, 'ipv4');
  assert.ok(r.ok);
  assert.is(r.flowsDeleted, 0);
  assert.equal(r.errors, []);
});

test('a real conntrack failure is reported with its message', async () => {
  const sp = new FakeSpawner((argv) => (argv[0] === 'conntrack'
    ? ok('', 'conntrack v1.4.7 (conntrack-tools): Operation failed: Protocol not supported\n', 1) : ok()));
  const r = await drainByMark(sp, memoryLog(), 0x100, 0x3f00, 'ipv4');
  assert.not.ok(r.ok);
  assert.is(r.flowsDeleted, null);
  assert.match(r.errors[0]!, /^conntrack: .*Protocol not supported/);
});

test('a missing conntrack binary says what to install; a missing ipset is no error', async () => {
  const sp = new FakeSpawner();
  sp.missing.add('conntrack');
  sp.missing.add('ipset');
  const r = await drainByMark(sp, memoryLog(), 0x100, 0x3f00, 'ipv4');
  assert.not.ok(r.ok);
  assert.equal(r.errors, ['conntrack: not installed (install conntrack to drain flows)']);
});

test('sticky sets: only this family\'s mwan3_rule sets, only members with this mark, one restore', async () => {
  const sp = new FakeSpawner((argv) => {
    if (argv[0] === 'conntrack') return deleted(1);
    if (argv.join(' ') === 'ipset -n list') return ok('mwan3_connected_ipv4\nmwan3_rule_ipv4_https\nmwan3_rule_ipv6_https\nmwan3_rule_ipv4_empty\n');
    if (argv.join(' ') === 'ipset list mwan3_rule_ipv4_https') return ok(LISTING);
    if (argv.join(' ') === 'ipset list mwan3_rule_ipv4_empty') return ok('Name: mwan3_rule_ipv4_empty\nMembers:\n');
    return ok();
  });
  const r = await drainByMark(sp, memoryLog(), 0x100, 0x3f00, 'ipv4', { clock: new FakeClock() });
  const calls = sp.runs.map((x) => x.argv.join(' '));
  assert.equal(calls, [
    'conntrack -D -f ipv4 -m 0x100/0x3f00', 'ipset -n list', 'ipset list mwan3_rule_ipv4_https', 'ipset list mwan3_rule_ipv4_empty', 'ipset -! restore',
  ]);
  assert.is(sp.runs[4]!.opts.input, 'del mwan3_rule_ipv4_https 192.168.1.10,0x00000100\ndel mwan3_rule_ipv4_https 192.168.1.12,0x00000100\n');
  assert.is(r.stickyDeleted, 2);
  assert.is(r.ms, 0);
  assert.ok(r.ok);
});

test('marks that would hit more than one uplink are refused without running anything', async () => {
  for (const [mark, mask] of [[0, 0x3f00], [0x3f00, 0x3f00], [0x100, 0], [0x10000, 0x3f00]] as const) {
    const sp = new FakeSpawner();
    const r = await drainByMark(sp, memoryLog(), mark, mask, 'ipv4');
    assert.not.ok(r.ok, `mark ${mark}/${mask}`);
    assert.equal(sp.runs, []);
  }
  assert.ok(isDrainableMark(0x100, 0x3f00));
  assert.ok(isDrainableMark(0x3e00 - 0x100, 0x3f00));
  assert.ok(isDrainableMark(0x10, 0xf0));
});

test('member parsing copes with IPv6 addresses and missing timeouts', () => {
  assert.equal(parseIpsetMembers('Name: x\nMembers:\nfd00::1,0x00000100 timeout 5\n10.0.0.1,0x00000200\n'), ['fd00::1,0x00000100', '10.0.0.1,0x00000200']);
  assert.equal(parseIpsetMembers('Name: x\n'), []);
  assert.is(memberMark('fd00::1,0x00000100'), 0x100);
  assert.is(memberMark('10.0.0.0/8'), null);
});

test.run();
