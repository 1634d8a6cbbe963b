// The scripted story of `npm run lab`: both uplinks carrying flows, uplink 1 cut, failover,
// recovery, a lossy period that must not fail over; narrated as a timeline, ending with the
// measured figures beside what the settings allow.
import { loss, restore } from './faults.ts';
import { failoverFloors } from './floors.ts';
import { failover, type FailoverResult } from './scenario.ts';
import type { Session } from './session.ts';
import { waitStatus } from './daemon.ts';
import { sleep } from './sh.ts';
import type { Timeline } from './timeline.ts';
import { startClient, tunnelTxPackets, type TrafficClient, type TrafficEvent } from './traffic.ts';
import { vsFloor } from './timeline.ts';

export interface StoryResult {
  failover: FailoverResult;
  lossPct: number;
  lossMs: number;
  falseFailovers: number;
  bothAfterRecovery: boolean;
  ok: boolean;
}

function narrateTraffic(client: TrafficClient, tl: Timeline): void {
  client.onEvent((e: TrafficEvent) => {
    if (e.ev === 'gap') tl.add('traffic', `${e.flow}: no replies for ${e.gapMs} ms`, e.to);
    else if (e.ev === 'via' && e.from) tl.add('traffic', `${e.flow}: now through ${e.uplink} (was ${e.from})`, e.at);
    else if (e.ev === 'reconnect') tl.add('traffic', `${e.flow}: TCP connection ${e.reason === 'stalled' ? 'stalled' : `ended (${e.reason})`}, reconnecting`, e.at);
  });
}

function distribution(client: TrafficClient): string {
  const by = new Map<string, string[]>();
  for (const [flow, up] of [...client.current].sort()) by.set(up, [...(by.get(up) ?? []), flow]);
  return [...by].sort().map(([up, flows]) => `${up}: ${flows.length} flows (${flows.join(' ')})`).join('; ');
}

export async function runStory(s: Session, tl: Timeline, o: { lossPct?: number; lossMs?: number } = {}): Promise<StoryResult> {
  const [up1] = s.lab.uplinks;
  const lossPct = o.lossPct ?? 5;
  const lossMs = o.lossMs ?? 25_000;

  tl.heading('1. both uplinks carry flows');
  const both = await waitStatus(s.daemon, (st) => st.uplinks.every((u) => u.state === 'online'), 15_000);
  if (!both) throw new Error('wanpulse did not report both uplinks online within 15 s');
  const client = await startClient(s.lab, { streamOn: 'wg1', long: true, longOn: 'wg1', udpFlows: 4, tcpFlows: 4 });
  narrateTraffic(client, tl);
  tl.add('lab', 'client in lan: UDP stream every 10 ms, 4 UDP + 4 TCP flows every 100 ms, one long-lived TCP flow');
  await sleep(3000);
  tl.add('traffic', distribution(client));
  const tx = await tunnelTxPackets(s.lab);
  tl.add('traffic', `packets sent into the tunnels so far: ${Object.entries(tx).map(([k, v]) => `${k} ${v}`).join(', ')}`);

  tl.heading(`2. ${up1.name} is cut`);
  const result = await failover(s, client, up1, {
    holdMs: 4000,
    onStep: (step, at, what) => {
      if (step === 'injected') tl.add('inject', what, at);
      else if (step === 'restoring') tl.add('traffic', `during the cut: ${distribution(client)}`, at);
      else { tl.heading(`3. ${up1.name} comes back`); tl.add('inject', what, at); }
    },
  });
  await sleep(3000);
  tl.add('traffic', `after recovery: ${distribution(client)}`);
  // With a resilient nexthop group, flows that keep sending stay on the uplink they moved to (only
  // idle buckets go back), so whether both uplinks carry traffic again shows on new flows.
  const fresh = await startClient(s.lab, { stream: false, udpFlows: 8, tcpFlows: 8 });
  await sleep(2500);
  const after = fresh.flowsPerUplink();
  const bothAfterRecovery = (after.wg1 ?? 0) > 0 && (after.wg2 ?? 0) > 0;
  tl.add('traffic', `new flows after recovery: ${distribution(fresh)}`);
  await s.lab.procs.stop(fresh.child, 1000);

  tl.heading(`4. ${lossPct} % random loss on ${up1.name} for ${lossMs / 1000} s (must not fail over)`);
  const f = await loss(up1, lossPct);
  tl.add('inject', f.describe, f.at);
  await sleep(lossMs);
  const restoredAt = await restore(s.lab, f);
  tl.add('inject', `${up1.name} loss removed`, restoredAt);
  s.status.poll();
  const falseFailovers = s.status.transitions.filter((t) => t.iface === up1.name && t.to === 'offline' && t.at >= f.at && t.at <= restoredAt).length;
  tl.add('lab', falseFailovers === 0 ? `no failover during ${lossPct} % loss` : `${falseFailovers} false failover(s) during ${lossPct} % loss`);

  tl.heading('5. measured');
  // the cut came while flows ran: with traffic evidence (the default) the busy line's floors
  const fl = failoverFloors(s.health, s.health.trafficEvidence === false ? 'baseline' : 'evidence', 'busy');
  const lines = [
    `detection  (cut → offline decision)        ${vsFloor(result.detectMs, fl.detect)}`,
    `switchover (cut → route without ${up1.name})      ${vsFloor(result.switchMs, fl.switchover)}`,
    `outage     (longest silence, 10 ms stream) ${vsFloor(result.outageMs, fl.outage)}`,
    `long TCP flow through the other uplink     ${vsFloor(result.tcpMovedMs)} (after its own ${1000} ms stall timeout)`,
    `recovery   (restore → online decision)     ${vsFloor(result.recoveryMs, fl.recovery)}`,
    `back in the route after restore            ${vsFloor(result.backInRouteMs)}`,
    `MQTT event after the offline decision      ${vsFloor(result.mqttMs)} (target ≤ 100 ms; retained state ${vsFloor(result.mqttStateMs)})`,
    `false failovers at ${lossPct} % loss over ${lossMs / 1000} s   ${falseFailovers}`,
  ];
  for (const l of lines) console.log('  ' + l);
  await s.lab.procs.stop(client.child, 1000);
  const ok = result.detectMs !== null && result.switchMs !== null && result.recoveryMs !== null && falseFailovers === 0 && bothAfterRecovery;
  return { failover: result, lossPct, lossMs, falseFailovers, bothAfterRecovery, ok };
}
