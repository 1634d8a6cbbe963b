// The lab with quality checks on: a slow but working uplink. 150 ms of added round trip on
// uplink 1 (under timeout_ms, so every probe still answers) must make wanpulse call it
// `degraded`, not `offline`; with degraded_failover new flows avoid it while uplink 2 stays
// online; without the latency it is `online` and in the route again. Needs root and network
// namespaces; skips loudly otherwise.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_LAB_HEALTH, readStatus, uplinkState, waitStatus, type LabHealth } from './daemon.ts';
import { latency, restore, type ActiveFault } from './faults.ts';
import { startSession, stopSession, type Session } from './session.ts';
import { sleep } from './sh.ts';
import { preflight } from './topology.ts';
import { startClient } from './traffic.ts';

const ADDED_RTT_MS = 150;
const HEALTH: LabHealth = {
  ...DEFAULT_LAB_HEALTH,
  quality: { windowRounds: 20, failureLatencyMs: 120, recoveryLatencyMs: 60, degradedFailover: true },
};

const why = await preflight();
let s: Session | null = null;
let fault: ActiveFault | null = null;
/** epoch ms just before the latency went in */
let faultFrom = 0;
let baseRttMs: number | null = null;

/** Waits (bounded) until main's default route holds exactly `want`. */
async function routeIs(want: string[], timeoutMs: number): Promise<boolean> {
  const key = [...want].sort().join(',');
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 1000 && Date.now() < deadline; i++) {
    await s!.route.poll();
    if (s!.route.current().join(',') === key) return true;
    await sleep(50);
  }
  return false;
}

/** Uplink → number of flows of a fresh client that got replies through it within ~2.5 s. */
async function newFlowsPerUplink(): Promise<Record<string, number>> {
  const client = await startClient(s!.lab, { stream: false, udpFlows: 8, tcpFlows: 8 });
  try {
    await sleep(2500);
    return client.flowsPerUplink();
  } finally {
    await s!.lab.procs.stop(client.child, 1000);
  }
}

const log = () => s!.daemon.log.slice(-15).join('\n');

if (why) {
  console.log(`SKIP: ${why}`);
  test.skip('lab quality scenarios', () => undefined);
} else {
  test.before(async () => {
    s = await startSession({ health: HEALTH });
    const ok = await waitStatus(s.daemon, (st) => st.uplinks.every((u) => u.state === 'online'), 15_000);
    if (!ok) throw new Error(`wanpulse did not bring both uplinks online:\n${log()}`);
    // a full window of undelayed rounds, for the baseline RTT
    await sleep(HEALTH.intervalMs * 20);
    baseRttMs = readStatus(s.daemon)?.uplinks.find((u) => u.iface === 'wg1')?.rttMs ?? null;
  });
  test.after(async () => { if (s) await stopSession(s); });

  test(`+${ADDED_RTT_MS} ms on wg1: degraded, out of the route, wg2 carries the new flows`, async () => {
    faultFrom = Date.now();
    fault = await latency(s!.lab, s!.lab.uplinks[0], ADDED_RTT_MS);
    const st = await waitStatus(s!.daemon, (x) => uplinkState(x, 'wg1') !== 'online', 15_000);
    assert.ok(st, `wg1 stayed online under +${ADDED_RTT_MS} ms; status: ${JSON.stringify(readStatus(s!.daemon)?.uplinks.map((u) => [u.iface, u.state, u.rttMs, u.reason]))}\n${log()}`);
    assert.is(uplinkState(st!, 'wg1'), 'degraded', `wg1 is ${uplinkState(st!, 'wg1')}: ${st!.uplinks[0]?.reason}`);
    assert.is(uplinkState(st!, 'wg2'), 'online');
    assert.ok(await routeIs(['wg2'], 5000), `default route: ${s!.route.current().join(' + ')}`);
    const per = await newFlowsPerUplink();
    assert.ok((per.wg2 ?? 0) > 0 && !per.wg1, `new flows per uplink while wg1 is degraded: ${JSON.stringify(per)}`);
    const now = readStatus(s!.daemon)!;
    assert.is(uplinkState(now, 'wg1'), 'degraded', 'wg1 stays degraded while the latency lasts');
    assert.is(uplinkState(now, 'wg2'), 'online');
  });

  test('the RTT wanpulse reports for wg1 includes the added delay', async () => {
    // by now the window (20 rounds = 4 s) holds only delayed rounds
    const wg1 = readStatus(s!.daemon)!.uplinks.find((u) => u.iface === 'wg1')!;
    assert.ok(wg1.rttMs !== null, 'wg1 has an RTT');
    // the relay never sends early; a few ms of slack for timer rounding
    assert.ok(wg1.rttMs! >= ADDED_RTT_MS - 5, `wg1 rtt ${wg1.rttMs} ms (baseline ${baseRttMs} ms, added ${ADDED_RTT_MS} ms)`);
    assert.ok(wg1.rttMs! < HEALTH.timeoutMs, `wg1 rtt ${wg1.rttMs} ms stays under timeout_ms`);
    assert.ok(wg1.lossPct === null || wg1.lossPct < 10, `wg1 loss ${wg1.lossPct} %: latency alone loses nothing`);
  });

  test('without the latency wg1 is online and back in the route', async () => {
    const restoredAt = await restore(s!.lab, fault!);
    const st = await waitStatus(s!.daemon, (x) => uplinkState(x, 'wg1') === 'online', 15_000);
    assert.ok(st, `wg1 did not return to online after ${Date.now() - restoredAt} ms: ${JSON.stringify(readStatus(s!.daemon)?.uplinks.map((u) => [u.iface, u.state, u.rttMs, u.reason]))}\n${log()}`);
    assert.ok(await routeIs(['wg1', 'wg2'], 5000), `default route: ${s!.route.current().join(' + ')}`);
    const per = await newFlowsPerUplink();
    assert.ok((per.wg1 ?? 0) > 0 && (per.wg2 ?? 0) > 0, `new flows per uplink after recovery: ${JSON.stringify(per)}`);
  });

  test('wg1 was never offline; the status file and MQTT show online → degraded → online', async () => {
    s!.status.poll();
    const wg1 = s!.status.transitions.filter((t) => t.iface === 'wg1' && t.at >= faultFrom);
    assert.equal(wg1.filter((t) => t.to === 'offline'), [], 'no offline transition of wg1 in the status file');
    assert.equal(wg1.map((t) => `${t.from}→${t.to}`), ['online→degraded', 'degraded→online'], 'status transitions');
    assert.equal(s!.status.transitions.filter((t) => t.iface === 'wg2' && t.at >= faultFrom), [], 'wg2 never changed state');
    // the MQTT subscriber may see the last messages a moment after the status file
    let events = s!.mqtt.events().filter((e) => e.iface === 'wg1');
    for (let i = 0; i < 40 && !events.some((e) => e.to === 'online' && e.from === 'degraded'); i++) {
      await sleep(50);
      events = s!.mqtt.events().filter((e) => e.iface === 'wg1');
    }
    const seq = events.filter((e) => e.from !== 'unknown').map((e) => `${e.from}→${e.to}`);
    assert.equal(seq, ['online→degraded', 'degraded→online'], `MQTT events of wg1: ${JSON.stringify(events)}`);
    const states = s!.mqtt.stateArrivals().filter((a) => a.iface === 'wg1').map((a) => a.state);
    assert.ok(states.includes('degraded') && !states.includes('offline') && states.at(-1) === 'online', `retained uplink/wg1 states: ${states.join(' ')}`);
  });
}

test.run();
