// The route backend's `ip -batch` runner against a scripted child (the real ip is used in
// ip-batch.net.test.ts): which lines it can carry, how completion and errors are read from
// stderr, and that a dead, stuck or unusable child never loses a command.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { batchLine, createIpRunner } from '../../../src/actions/route/ip-batch.ts';
import { memoryLog } from '../../../src/platform/log.ts';
import { FakeClock } from '../../fakes/clock.ts';
import { FakeSpawner, type FakeChild } from '../../fakes/spawner.ts';

const tick = () => new Promise<void>((r) => setImmediate(r));

test('batchLine: the family moves into the line where it can; -j and unsafe tokens are not batched', () => {
  assert.equal(batchLine(['-4', 'route', 'replace', 'default', 'nhid', '7', 'table', 'main', 'metric', '0']), { key: '', line: 'route replace 0.0.0.0/0 nhid 7 table main metric 0' });
  assert.equal(batchLine(['-6', 'route', 'replace', 'default', 'dev', 'wg1', 'table', '100', 'metric', '0']), { key: '', line: 'route replace ::/0 dev wg1 table 100 metric 0' });
  assert.equal(batchLine(['-6', 'nexthop', 'replace', 'id', '9', 'via', '2001:db8::1', 'dev', 'eth1']), { key: '', line: 'nexthop replace id 9 via 2001:db8::1 dev eth1' });
  assert.equal(batchLine(['-4', 'nexthop', 'replace', 'id', '9', 'dev', 'wg0']), { key: '', line: 'nexthop replace id 9 dev wg0' });
  assert.equal(batchLine(['-6', 'nexthop', 'replace', 'id', '9', 'dev', 'wg0']), { key: '-6', line: 'nexthop replace id 9 dev wg0' });
  assert.equal(batchLine(['nexthop', 'replace', 'id', '1', 'group', '2,1/3,2', 'type', 'resilient']), { key: '', line: 'nexthop replace id 1 group 2,1/3,2 type resilient' });
  assert.is(batchLine(['-j', 'nexthop', 'list']), null);
  assert.is(batchLine(['-4', 'route', 'replace', 'default', 'dev', 'we#ird']), null);
  assert.is(batchLine(['-4', 'route', 'replace', 'default', 'dev', 'a b']), null);
  assert.is(batchLine([]), null);
});

/** A fake `ip -force -batch -`: answers every written line the way ip does on stderr. */
function batchIp(child: FakeChild, fail: (line: string) => string | null = () => null, opts: { silent?: () => boolean } = {}) {
  let n = 0;
  const lines: string[] = [];
  child.onInput = (text) => {
    for (const line of text.split('\n').filter(Boolean)) {
      const k = ++n;
      lines.push(line);
      if (opts.silent?.()) continue;
      const why = line === 'link show dev .' ? 'Device "." does not exist.' : fail(line);
      if (why) queueMicrotask(() => { child.stderr(why); child.stderr(`Command failed -:${k}`); });
    }
  };
  return lines;
}

function setup(opts: { fail?: (line: string) => string | null; silent?: () => boolean } = {}) {
  const clock = new FakeClock();
  const log = memoryLog();
  const spawner = new FakeSpawner((argv) => ({ code: argv.includes('bad') ? 2 : 0, signal: null, stdout: '', stderr: argv.includes('bad') ? 'Error: spawned says no.\n' : '' }));
  const written: string[][] = [];
  const origSpawn = spawner.spawn.bind(spawner);
  spawner.spawn = (argv, o) => {
    const c = origSpawn(argv, o) as FakeChild;
    written.push(batchIp(c, opts.fail, { silent: opts.silent }));
    return c;
  };
  const runner = createIpRunner({ spawner, clock, log, ipPath: 'ip', deadlineMs: 300 });
  return { clock, log, spawner, runner, written };
}

test('commands go to one batch child; success and failure are read from stderr', async () => {
  const t = setup({ fail: (l) => (l.includes('bad') ? 'Error: Nexthop has invalid gateway.' : null) });
  await t.runner.start(['']);
  assert.equal(t.spawner.children.map((c) => c.argv), [['ip', '-force', '-batch', '-']]);
  assert.is(t.spawner.children[0]!.opts.stdin, 'pipe');
  assert.is(await t.runner.run(['-4', 'route', 'replace', 'default', 'via', '192.0.2.1', 'dev', 'eth1', 'table', 'main', 'metric', '0']), null);
  const err = await t.runner.run(['-4', 'nexthop', 'replace', 'id', '5', 'via', '192.0.2.9', 'dev', 'bad']);
  assert.is(err, 'ip -4 nexthop replace id 5 via 192.0.2.9 dev bad: Error: Nexthop has invalid gateway.');
  assert.is(await t.runner.run(['nexthop', 'del', 'id', '5']), null);
  assert.equal(t.written[0], [
    'link show dev .',
    'route replace 0.0.0.0/0 via 192.0.2.1 dev eth1 table main metric 0', 'link show dev .',
    'nexthop replace id 5 via 192.0.2.9 dev bad', 'link show dev .',
    'nexthop del id 5', 'link show dev .',
  ]);
  assert.is(t.spawner.runs.length, 0, 'nothing spawned');
  assert.equal(t.runner.counts, { batched: 3, spawned: 0, started: 1 });
  await t.runner.stop();
  assert.ok(t.spawner.children[0]!.inputEnded, 'stop closes stdin');
});

test('a dead child: the command is spawned, the child restarted after a backoff', async () => {
  const t = setup();
  await t.runner.start(['']);
  const first = t.spawner.children[0]!;
  first.exit({ code: null, signal: 'SIGKILL' });
  await tick();
  assert.is(await t.runner.run(['-4', 'route', 'replace', 'default', 'dev', 'wg0', 'table', 'main', 'metric', '0']), null);
  assert.equal(t.spawner.runs.map((r) => r.argv.join(' ')), ['ip -4 route replace default dev wg0 table main metric 0']);
  assert.match(t.log.lines.join('\n'), /-batch killed by SIGKILL; restarting it in 0\.5 s/);
  t.clock.advance(500);
  await tick(); await tick();
  assert.is(t.spawner.children.length, 2);
  assert.is(await t.runner.run(['-4', 'route', 'replace', 'default', 'dev', 'wg1', 'table', 'main', 'metric', '0']), null);
  assert.is(t.spawner.runs.length, 1, 'batched again');
  await t.runner.stop();
});

test('a command that dies with the child (ip exits on a bad argument) is spawned, with its real error', async () => {
  const t = setup();
  await t.runner.start(['']);
  const child = t.spawner.children[0]!;
  const prev = child.onInput;
  child.onInput = (text) => { if (text.includes('bad')) queueMicrotask(() => child.exit({ code: 255, signal: null })); else prev(text); };
  const err = await t.runner.run(['-4', 'route', 'replace', 'default', 'dev', 'bad', 'table', 'main', 'metric', '0']);
  assert.is(err, 'ip -4 route replace default dev bad table main metric 0: Error: spawned says no.');
  assert.is(t.runner.counts.spawned, 1);
  await t.runner.stop();
});

test('a stuck child: no answer within the deadline kills it, the command is spawned', async () => {
  let stuck = false;
  const t = setup({ silent: () => stuck });
  await t.runner.start(['']);
  stuck = true;
  const pending = t.runner.run(['-4', 'route', 'replace', 'default', 'dev', 'wg0', 'table', 'main', 'metric', '0']);
  await tick();
  assert.is(t.spawner.runs.length, 0);
  t.clock.advance(299);
  await tick();
  assert.is(t.spawner.runs.length, 0, 'not before the deadline');
  t.clock.advance(1);
  assert.is(await pending, null);
  assert.equal(t.spawner.children[0]!.signals, ['SIGKILL']);
  assert.is(t.spawner.runs.length, 1);
  assert.match(t.log.lines.join('\n'), /gave no answer within 300 ms: killed/);
  await t.runner.stop();
});

test('an ip that never answers its first marker is given up after three tries: ip is spawned per change', async () => {
  const t = setup({ silent: () => true });
  const starting = t.runner.start(['']);
  for (let i = 0; i < 20; i++) { t.clock.advance(100); await tick(); }
  await starting;
  for (let i = 0; i < 200 && t.spawner.children.length < 3; i++) { t.clock.advance(500); await tick(); }
  for (let i = 0; i < 100; i++) { t.clock.advance(100); await tick(); }
  assert.is(t.spawner.children.length, 3);
  assert.match(t.log.lines.join('\n'), /ip -batch is not usable here: spawning ip per route change/);
  t.clock.advance(120_000);
  await tick();
  assert.is(t.spawner.children.length, 3, 'no more tries');
  assert.is(await t.runner.run(['-4', 'route', 'replace', 'default', 'dev', 'wg0', 'table', 'main', 'metric', '0']), null);
  assert.is(t.spawner.runs.length, 1);
  await t.runner.stop();
});

test('a missing ip: no child is started, commands are spawned (and fail there with not found)', async () => {
  const t = setup();
  t.spawner.missing.add('ip');
  await t.runner.start(['']);
  assert.is(t.spawner.children.length, 0);
  const err = await t.runner.run(['-4', 'route', 'replace', 'default', 'dev', 'wg0', 'table', 'main', 'metric', '0']);
  assert.match(err ?? '', /not found/);
  await t.runner.stop();
});

test('batch off: every command is spawned', async () => {
  const clock = new FakeClock();
  const spawner = new FakeSpawner();
  const runner = createIpRunner({ spawner, clock, log: memoryLog(), ipPath: 'ip', batch: false });
  await runner.start(['']);
  assert.is(await runner.run(['nexthop', 'del', 'id', '1']), null);
  assert.is(spawner.children.length, 0);
  assert.is(spawner.runs.length, 1);
});

test.run();
