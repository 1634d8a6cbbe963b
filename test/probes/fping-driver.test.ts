import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CoreEvent } from '../../src/core/events.ts';
import { memoryLog } from '../../src/platform/log.ts';
import { fpingArgv, fpingEnv, Prober } from '../../src/probes/fping-driver.ts';
import { FakeClock } from '../fakes/clock.ts';
import { FakeSpawner } from '../fakes/spawner.ts';
import { MemoryFs } from '../fakes/fs.ts';
import { iface } from '../core/config-fixture.ts';

const memFs = () => new MemoryFs();

function setup() {
  const clock = new FakeClock();
  const spawner = new FakeSpawner();
  const events: CoreEvent[] = [];
  const log = memoryLog();
  const fs = memFs();
  const killed: [number, string][] = [];
  const prober = new Prober({
    spawner, clock, fs, log, runDir: '/run/wp', fpingPath: '/usr/bin/fping', mode: { wrap: false, fwmark: false }, env: {},
    signals: { on: () => undefined, kill: (pid, sig) => { killed.push([pid, sig]); return true; } },
    emit: (e) => events.push(e),
  }, iface('wg0', 1));
  return { clock, spawner, events, log, fs, prober, killed };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

test('argv: one fping in loop mode per interface, bound to the device, all targets; mark per version', () => {
  const i = iface('wg0', 1);
  assert.equal(fpingArgv('/usr/bin/fping', i, { wrap: false, fwmark: false }),
    ['/usr/bin/fping', '-4', '-l', '-p', '200', '-t', '300', '-i', '10', '-I', 'wg0', '192.0.2.1', '198.51.100.1']);
  // with traffic evidence fping waits longer, so late replies are printed with their RTT
  assert.ok(fpingArgv('fping', { ...i, health: { ...i.health, trafficEvidence: true } }, { wrap: false, fwmark: false }).join(' ').includes('-t 2500 '));
  assert.ok(fpingArgv('fping', { ...i, family: 'ipv6' }, { wrap: false, fwmark: true }).join(' ').includes('-6 -l'));
  assert.ok(fpingArgv('fping', i, { wrap: false, fwmark: true }).join(' ').includes('-k 16128'));
  assert.equal(fpingEnv(i, { wrap: true, fwmark: false }, { PATH: '/usr/bin' }),
    { FAMILY: 'ipv4', DEVICE: 'wg0', FWMARK: '0x3f00', LD_PRELOAD: '/lib/mwan3/libwrap_mwan3_sockopt.so.1.0', PATH: '/usr/bin' });
  assert.is(fpingEnv(i, { wrap: false, fwmark: true }, {}), undefined);
});

test('replies become results; silence becomes loss at the deadline, without any printed timeout', () => {
  const { clock, spawner, events, prober } = setup();
  prober.start();
  const child = spawner.children[0]!;
  clock.advance(120);
  child.stdout('192.0.2.1 : [0], 64 bytes, 10.0 ms (10.0 avg, 0% loss)');
  child.stdout('198.51.100.1 : [0], 64 bytes, 12.0 ms (12.0 avg, 0% loss)');
  const results = () => events.filter((e) => e.kind === 'probeResult') as Extract<CoreEvent, { kind: 'probeResult' }>[];
  assert.equal(results().map((r) => [r.target, r.seq, r.ok]), [['192.0.2.1', 0, true], ['198.51.100.1', 0, true]]);
  // then fping goes quiet (link cut): after ~2 s every target has lost rounds
  clock.advance(2000);
  const lost = results().filter((r) => !r.ok);
  assert.ok(lost.length >= 14, `lost ${lost.length}`);
  assert.ok(lost.some((r) => r.target === '192.0.2.1') && lost.some((r) => r.target === '198.51.100.1'));
});

test('a stalled daemon reads the replies fping buffered before judging loss; a cut in the stall is still found', () => {
  const { clock, spawner, events, prober } = setup();
  prober.start();
  const child = spawner.children[0]!;
  const line = (t: string, k: number) => child.stdout(`${t} : [${k}], 64 bytes, 1.00 ms (1.00 avg, 0% loss)`);
  const results = () => events.filter((e) => e.kind === 'probeResult') as Extract<CoreEvent, { kind: 'probeResult' }>[];
  let k = 0;
  for (; k < 5; k++) { clock.advance(k === 0 ? 101 : 200); line('192.0.2.1', k); line('198.51.100.1', k); }
  // SIGSTOP for 1 s: fping goes on answering into the pipe; on wake-up the overdue timer runs first
  clock.jump(1000);
  clock.advance(0);
  assert.equal(results().filter((r) => !r.ok), [], 'nothing lost before the pipe is read');
  for (; k < 10; k++) { line('192.0.2.1', k); line('198.51.100.1', k); }
  clock.advance(60);
  assert.equal(results().filter((r) => !r.ok).length, 0);
  assert.is(results().length, 20);
  // stalled again, and the uplink was cut meanwhile: nothing in the pipe → lost once awake
  clock.jump(1000);
  clock.advance(0);
  clock.advance(50);
  const lost = results().filter((r) => !r.ok);
  assert.ok(lost.length >= 6, `lost ${lost.length}`);
  assert.ok(lost.some((r) => r.target === '192.0.2.1') && lost.some((r) => r.target === '198.51.100.1'));
});

test('a reply after its probe was judged lost is reported as a late reply (proof of a slow line)', () => {
  const { clock, spawner, events, prober } = setup();
  prober.start();
  const child = spawner.children[0]!;
  clock.advance(101);
  child.stdout('192.0.2.1 : [0], 64 bytes, 1.00 ms (1.00 avg, 0% loss)');
  clock.advance(1500);
  child.stdout('192.0.2.1 : [1], 64 bytes, 1400 ms (700 avg, 0% loss)');
  const late = events.filter((e) => e.kind === 'lateReply');
  assert.equal(late.map((e) => e.kind === 'lateReply' && [e.target, e.rttMs]), [['192.0.2.1', 1400]]);
});

test('a reply over the timeout before its deadline: the probe\'s lost result first, then the late reply (the core relies on it)', () => {
  const { clock, spawner, events, prober } = setup();
  prober.start();
  const child = spawner.children[0]!;
  clock.advance(101);
  child.stdout('192.0.2.1 : [0], 64 bytes, 1.00 ms (1.00 avg, 0% loss)');
  clock.advance(200);
  // seq 1 was sent ~200 ms after seq 0; its deadline (timeout + grace) has not come yet
  child.stdout('192.0.2.1 : [1], 64 bytes, 310 ms (155 avg, 0% loss)');
  const mine = events.filter((e) => (e.kind === 'probeResult' || e.kind === 'lateReply') && e.target === '192.0.2.1' && e.seq === 1);
  assert.equal(mine.map((e) => e.kind === 'probeResult' ? `result ${e.ok}` : e.kind), ['result false', 'lateReply']);
});

test('fping dying is reported (never healthy) and restarted with growing backoff', async () => {
  const { clock, spawner, events, prober, log } = setup();
  prober.start();
  spawner.children[0]!.stderr('fping: cannot bind to device wg0');
  spawner.children[0]!.exit({ code: 4, signal: null });
  await flush();
  const died = events.find((e) => e.kind === 'proberDied') as Extract<CoreEvent, { kind: 'proberDied' }>;
  assert.match(died.reason, /exited with status 4: fping: cannot bind to device wg0/);
  assert.ok(log.lines.some((l) => /restarting in 0.5 s/.test(l)));
  clock.advance(500);
  assert.is(spawner.children.length, 2);
  spawner.children[1]!.exit({ code: null, signal: 'SIGKILL' });
  await flush();
  clock.advance(900);
  assert.is(spawner.children.length, 2, 'second restart waits longer');
  clock.advance(200);
  assert.is(spawner.children.length, 3);
  assert.is(events.filter((e) => e.kind === 'proberStarted').length, 3);
});

test('a missing fping binary is a prober failure with a clear reason, retried', () => {
  const { spawner, events, prober } = setup();
  spawner.missing.add('/usr/bin/fping');
  prober.start();
  const died = events.find((e) => e.kind === 'proberDied') as Extract<CoreEvent, { kind: 'proberDied' }>;
  assert.match(died.reason, /cannot start \/usr\/bin\/fping/);
});

test('stop ends the child and removes its pidfile; a stray from a dead instance is ended at start', async () => {
  const { spawner, prober, fs, killed, clock } = setup();
  fs.files.set('/run/wp/fping-wg0.pid', '4242\n');
  fs.files.set('/proc/4242/cmdline', '/usr/bin/fping\0-l\0');
  await prober.endStray();
  assert.equal(killed, [[4242, 'SIGTERM']]);
  prober.start();
  await flush();
  assert.is(fs.files.get('/run/wp/fping-wg0.pid'), `${spawner.children[0]!.pid}\n`);
  const stopping = prober.stop();
  clock.advance(10);
  await stopping;
  assert.equal(spawner.children[0]!.signals, ['SIGTERM']);
  assert.not.ok(fs.files.has('/run/wp/fping-wg0.pid'));
});

test.run();
