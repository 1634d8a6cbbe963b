// The prober with the real fping, in two network namespaces this test creates: `probe` (fping
// runs here, bound to its veth) and `targets` (two addresses that answer). Faults with nftables.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HealthParams } from '../../src/config/types.ts';
import type { CoreEvent } from '../../src/core/events.ts';
import { memoryLog } from '../../src/platform/log.ts';
import { nodeClock, nodeFs, nodeSignals, nodeSpawner } from '../../src/platform/node.ts';
import { Prober } from '../../src/probes/fping-driver.ts';
import { iface } from '../core/config-fixture.ts';

const P = `wpf${process.pid % 100000}`;
const probeNs = `${P}p`;
const targetNs = `${P}t`;
const sh = (...a: string[]) => execFileSync(a[0]!, a.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const inNs = (ns: string, ...a: string[]) => sh('ip', 'netns', 'exec', ns, ...a);

let skip = '';
let dir = '';
function setUp() {
  if (process.getuid?.() !== 0) { skip = 'not root'; return; }
  try { sh('ip', 'netns', 'add', probeNs); } catch (e) { skip = `network namespaces unavailable: ${(e as Error).message}`; return; }
  sh('ip', 'netns', 'add', targetNs);
  sh('ip', 'link', 'add', 'wpfa', 'netns', probeNs, 'type', 'veth', 'peer', 'name', 'wpfb', 'netns', targetNs);
  inNs(probeNs, 'ip', 'addr', 'add', '10.201.0.1/24', 'dev', 'wpfa');
  inNs(probeNs, 'ip', 'link', 'set', 'wpfa', 'up');
  inNs(probeNs, 'ip', 'link', 'set', 'lo', 'up');
  for (const a of ['10.201.0.2/24', '10.201.0.3/24']) inNs(targetNs, 'ip', 'addr', 'add', a, 'dev', 'wpfb');
  inNs(probeNs, 'ip', '-6', 'addr', 'add', 'fd00:201::1/64', 'dev', 'wpfa', 'nodad');
  for (const a of ['fd00:201::2/64', 'fd00:201::3/64']) inNs(targetNs, 'ip', '-6', 'addr', 'add', a, 'dev', 'wpfb', 'nodad');
  inNs(targetNs, 'ip', 'link', 'set', 'wpfb', 'up');
  inNs(targetNs, 'nft', 'add table inet fault; add chain inet fault in { type filter hook input priority 0; }');
  dir = mkdtempSync(join(tmpdir(), 'wpf-'));
  // fping must run inside the namespace; exec keeps the pid, so kill/stop reach fping itself
  writeFileSync(join(dir, 'fping'), `#!/bin/sh\nexec ip netns exec ${probeNs} fping "$@"\n`);
  chmodSync(join(dir, 'fping'), 0o755);
}
function tearDown() {
  for (const ns of [probeNs, targetNs]) { try { sh('ip', 'netns', 'del', ns); } catch { /* gone */ } }
  if (dir) rmSync(dir, { recursive: true, force: true });
}

async function waitFor(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) { if (cond()) return; await new Promise((r) => setTimeout(r, 25)); }
  throw new Error(`timed out waiting for ${what}`);
}

type Result = Extract<CoreEvent, { kind: 'probeResult' }>;

/** A prober on the real fping inside the probe namespace, recording its events. */
function realProber(name: string, family: 'ipv4' | 'ipv6', trackIps: string[], health: Partial<HealthParams> = {}) {
  const events: CoreEvent[] = [];
  const base = iface(name, 1);
  const i = { ...base, family, device: 'wpfa', trackIps, health: { ...base.health, ...health } };
  const prober = new Prober({
    spawner: nodeSpawner, clock: nodeClock, fs: nodeFs, signals: nodeSignals, log: memoryLog(), runDir: dir,
    fpingPath: join(dir, 'fping'), mode: { wrap: false, fwmark: false }, env: process.env, emit: (e) => events.push(e),
  }, i);
  const results = () => events.filter((e) => e.kind === 'probeResult') as Result[];
  return { prober, events, results };
}

/** Answers from every target, then (after a cut) losses on every target. */
async function answersThenLoss(results: () => Result[], targets: number): Promise<void> {
  await waitFor('answers from every target', () => new Set(results().filter((r) => r.ok).map((r) => r.target)).size === targets);
  // hard cut: drop everything arriving at the targets
  inNs(targetNs, 'nft', 'add rule inet fault in iifname "wpfb" drop');
  const before = results().length;
  await waitFor('losses on every target', () => {
    const after = results().slice(before).filter((r) => !r.ok);
    return new Set(after.map((r) => r.target)).size === targets && after.length >= 6;
  });
}

test('real fping: answers, a cut becomes loss on every target, a killed fping is reported and restarted', async () => {
  setUp();
  if (skip) { console.log(`SKIP: fping driver network test skipped because ${skip}`); return; }
  const { prober, events, results } = realProber('wg0', 'ipv4', ['10.201.0.2', '10.201.0.3']);
  try {
    prober.start();
    await answersThenLoss(results, 2);
    inNs(targetNs, 'nft', 'flush chain inet fault in');
    const mark = results().length;
    await waitFor('answers again', () => results().slice(mark).some((r) => r.ok));
    // kill -9 the real fping: reported, then restarted
    const pid = prober.pid!;
    process.kill(pid, 'SIGKILL');
    await waitFor('death reported', () => events.some((e) => e.kind === 'proberDied'));
    const died = events.find((e) => e.kind === 'proberDied') as Extract<CoreEvent, { kind: 'proberDied' }>;
    assert.match(died.reason, /killed by SIGKILL/);
    await waitFor('restart', () => events.filter((e) => e.kind === 'proberStarted').length === 2 && prober.pid !== pid);
    const restarted = results().length;
    await waitFor('answers after restart', () => results().slice(restarted).some((r) => r.ok));
  } finally {
    await prober.stop();
    tearDown();
  }
});

test('real fping over IPv6 (mwan3 family ipv6): answers, then loss when cut', async () => {
  setUp();
  if (skip) { console.log(`SKIP: fping driver IPv6 test skipped because ${skip}`); return; }
  const { prober, results } = realProber('wg6', 'ipv6', ['fd00:201::2', 'fd00:201::3']);
  try {
    prober.start();
    await answersThenLoss(results, 2);
  } finally {
    await prober.stop();
    tearDown();
  }
});

test('real fping with traffic evidence (-t 2500 beside -p 200): answers in time, loss when cut', async () => {
  setUp();
  if (skip) { console.log(`SKIP: fping traffic-evidence test skipped because ${skip}`); return; }
  const { prober, results } = realProber('wg0', 'ipv4', ['10.201.0.2', '10.201.0.3'], { trafficEvidence: true });
  try {
    prober.start();
    await answersThenLoss(results, 2);
  } finally {
    await prober.stop();
    tearDown();
  }
});

test("the shortest interval check-config allows (25 ms, 2 targets) really works: no loss for 3 s", async () => {
  setUp();
  if (skip) { console.log(`SKIP: fping short-interval test skipped because ${skip}`); return; }
  const { prober, results } = realProber('wg0', 'ipv4', ['10.201.0.2', '10.201.0.3'], { intervalMs: 25, timeoutMs: 150 });
  try {
    prober.start();
    await waitFor('answers', () => results().some((r) => r.ok));
    const from = results().length;
    await new Promise((r) => setTimeout(r, 3000));
    const got = results().slice(from);
    const lost = got.filter((r) => !r.ok).length;
    assert.ok(got.length >= 150, `results in 3 s: ${got.length}`);
    // a loaded machine may delay a few lines beyond the deadline; drift would lose nearly all
    assert.ok(lost <= got.length * 0.05, `lost ${lost} of ${got.length}`);
  } finally {
    await prober.stop();
    tearDown();
  }
});

test.run();
