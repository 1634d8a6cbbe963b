// The prober at the rate the core asks for, and the quick probes of a confirmation, against a fake
// spawner and clock: which fping runs with what arguments, what is reported, and when.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CoreEvent } from '../../src/core/events.ts';
import { memoryLog } from '../../src/platform/log.ts';
import { Confirmer } from '../../src/probes/confirm.ts';
import { Prober } from '../../src/probes/fping-driver.ts';
import { iface } from '../core/config-fixture.ts';
import { FakeClock } from '../fakes/clock.ts';
import { MemoryFs } from '../fakes/fs.ts';
import { FakeSpawner } from '../fakes/spawner.ts';

const flush = () => new Promise((r) => setTimeout(r, 0));

function setup() {
  const clock = new FakeClock();
  const spawner = new FakeSpawner();
  const events: CoreEvent[] = [];
  const log = memoryLog();
  const i = iface('wg0', 1);
  i.health = { ...i.health, trafficEvidence: true };
  const deps = {
    spawner, clock, fs: new MemoryFs(), log, runDir: '/run/wp', fpingPath: '/usr/bin/fping', mode: { wrap: false, fwmark: false }, env: {},
    signals: { on: () => undefined, kill: () => true },
    emit: (e: CoreEvent) => events.push(e),
  };
  return { clock, spawner, events, log, prober: new Prober(deps, i), confirmer: new Confirmer(deps, i) };
}

test('slow rate: fping is replaced by one sending a probe per second per uplink; the old one\'s exit is not a death', async () => {
  const { spawner, events, prober, clock } = setup();
  prober.start();
  const fast = spawner.children[0]!;
  assert.ok(fast.argv.join(' ').includes('-l -p 200 '));
  prober.setRate('slow');
  assert.equal(fast.signals, ['SIGTERM']);
  const slow = spawner.children[1]!;
  assert.ok(slow.argv.join(' ').includes('-l -p 2000 '), slow.argv.join(' ')); // 2 targets, 1 s each
  await flush();
  assert.is(events.filter((e) => e.kind === 'proberDied').length, 0);
  assert.is(events.filter((e) => e.kind === 'proberStarted').length, 2);
  // the slow schedule: a reply 2 s after start is sequence 1, in time
  clock.advance(2110);
  slow.stdout('192.0.2.1 : [1], 64 bytes, 5.0 ms (5.0 avg, 0% loss)');
  const r = events.filter((e) => e.kind === 'probeResult') as Extract<CoreEvent, { kind: 'probeResult' }>[];
  assert.ok(r.some((x) => x.seq === 1 && x.ok), JSON.stringify(r));
  prober.setRate('slow');
  assert.is(spawner.children.length, 2, 'same rate: nothing restarted');
  prober.setRate('fast');
  assert.ok(spawner.children[2]!.argv.join(' ').includes('-l -p 200 '));
  await prober.stop();
});

test('txiki.js: a rate change while fping\'s check is being renewed (EAGAIN) is no death: fping starts once checked', async () => {
  const { spawner, events, prober, clock, log } = setup();
  prober.start();
  let refusals = 3;
  const spawn = spawner.spawn.bind(spawner);
  spawner.spawn = (argv, opts) => {
    if (refusals-- > 0) throw Object.assign(new Error('/usr/bin/fping: not checked yet (checking it now)'), { code: 'EAGAIN' });
    return spawn(argv, opts);
  };
  prober.setRate('slow');
  assert.is(spawner.children.length, 1, 'refused, not started');
  for (let i = 0; i < 5; i++) { clock.advance(20); await flush(); }
  assert.is(spawner.children.length, 2);
  assert.ok(spawner.children[1]!.argv.join(' ').includes('-l -p 2000 '), 'at the new rate');
  assert.is(events.filter((e) => e.kind === 'proberDied').length, 0);
  assert.not.match(log.lines.join('\n'), /restarting in/);
  // a program that stays unchecked is a death after the tries, with the reason
  spawner.spawn = () => { throw Object.assign(new Error('/usr/bin/fping: not checked yet (checking it now)'), { code: 'EAGAIN' }); };
  prober.setRate('fast');
  for (let i = 0; i < 30; i++) { clock.advance(20); await flush(); }
  assert.is(events.filter((e) => e.kind === 'proberDied').length, 1);
  assert.match(log.lines.join('\n'), /cannot start \/usr\/bin\/fping: .*not checked yet.*; restarting in 0\.5 s/);
  await prober.stop();
});

test('a rate change while fping is down waits for the restart, which uses the new rate', async () => {
  const { spawner, prober, clock } = setup();
  prober.start();
  spawner.children[0]!.exit({ code: 1, signal: null });
  await flush();
  prober.setRate('slow');
  assert.is(spawner.children.length, 1);
  clock.advance(600);
  assert.ok(spawner.children[1]!.argv.join(' ').includes('-p 2000 '));
  await prober.stop();
});

test('confirmation: fping -c 2, packets 25 ms apart, each waiting the given time; done at the first answer', async () => {
  const { spawner, events, confirmer, clock } = setup();
  confirmer.run(60);
  const c = spawner.children[0]!;
  assert.equal(c.argv, ['/usr/bin/fping', '-4', '-c', '2', '-p', '25', '-t', '60', '-i', '10', '-I', 'wg0', '192.0.2.1', '198.51.100.1']);
  confirmer.run(60);
  assert.is(spawner.children.length, 1, 'one at a time');
  clock.advance(12);
  c.stdout('198.51.100.1 : [0], 64 bytes, 2.1 ms (2.1 avg, 0% loss)');
  assert.equal(events, [{ kind: 'confirmed', iface: 'wg0', answered: 1, at: 12 }]);
  assert.equal(c.signals, ['SIGTERM']);
  await flush();
  assert.is(events.length, 1);
});

test('confirmation: judged by fping\'s own verdicts, not by our clock; a late answer does not count', async () => {
  const { spawner, events, confirmer, clock } = setup();
  confirmer.run(60);
  const c = spawner.children[0]!;
  clock.advance(1500); // a loaded router: fping started late; nothing is judged by elapsed time
  assert.is(events.length, 0);
  c.stdout('192.0.2.1 : [0], 64 bytes, 75.0 ms (75.0 avg, 0% loss)');
  for (let k = 0; k < 2; k++) c.stdout(`198.51.100.1 : [${k}], timed out (NaN avg, 100% loss)`);
  assert.is(events.length, 0, 'one probe of 192.0.2.1 still open');
  c.stdout('192.0.2.1 : [1], timed out (NaN avg, 100% loss)');
  assert.equal(events, [{ kind: 'confirmed', iface: 'wg0', answered: 0, at: 1500 }]);
  assert.equal(c.signals, ['SIGTERM']);
});

test('confirmation: fping that gives no verdict within 2.5 s proves nothing', async () => {
  const { spawner, events, confirmer, clock } = setup();
  confirmer.run(60);
  clock.advance(2500);
  assert.equal(events.map((e) => (e as { answered: unknown }).answered), [null]);
  assert.equal(spawner.children[0]!.signals, ['SIGTERM']);
});

test('confirmation: fping failing (exit 2+, a signal, no program) proves nothing: answered null, with a warning', async () => {
  const { spawner, events, confirmer, log } = setup();
  confirmer.run(60);
  spawner.children[0]!.stderr('wg0: SO_BINDTODEVICE: No such device');
  spawner.children[0]!.exit({ code: 4, signal: null });
  await flush();
  assert.equal(events.map((e) => (e as { answered: unknown }).answered), [null]);
  assert.match(log.lines.join('\n'), /quick probes failed: wg0: SO_BINDTODEVICE/);
  spawner.missing.add('/usr/bin/fping');
  confirmer.run(60);
  assert.equal(events.map((e) => (e as { answered: unknown }).answered), [null, null]);
  // exit 1 (some unreachable) is an answer: nobody answered
  spawner.missing.clear();
  confirmer.run(60);
  spawner.children.at(-1)!.exit({ code: 1, signal: null });
  await flush();
  assert.equal(events.map((e) => (e as { answered: unknown }).answered), [null, null, 0]);
});

test('stop ends a running confirmation without reporting', async () => {
  const { spawner, events, confirmer } = setup();
  confirmer.run(60);
  confirmer.stop();
  await flush();
  assert.equal(spawner.children[0]!.signals, ['SIGTERM']);
  assert.is(events.length, 0);
});

test.run();
