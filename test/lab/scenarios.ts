// The bench's scenarios (issue 11), each run against one session (one daemon, one profile):
// failovers repeated at random phases (cut-idle, cut-busy, cut-under-load, oneway-up/-down) and
// long periods on a working but bad uplink where any `offline` is a false failover
// (saturated-upload, slow-upload, rtt-spike, loss-5-oneway, loss-2-both). Every scenario also measures the
// probe packets per second per uplink (nftables counters, not the daemon's word) and the
// daemon's CPU. docs/lab.md describes each one and the floors (floors.ts).
import type { TransitionEvent } from '../../src/status/model.ts';
import { cpuSeconds, waitStatus } from './daemon.ts';
import { loss, rateLimit, relay, relayReports, restore, restoreAll, type ActiveFault } from './faults.ts';
import { failoverFloors, type FailoverFloors, type Profile } from './floors.ts';
import { probeRates, readProbeCounters, type ProbeCount } from './probe-count.ts';
import { failover, type FailoverResult, type FaultName } from './scenario.ts';
import type { Session } from './session.ts';
import { SLOW_REENTER_MS } from '../../src/core/uplink.ts';
import { sleep } from './sh.ts';
import type { Uplink } from './topology.ts';
import { startClient, type TrafficClient } from './traffic.ts';

export const SCENARIO_NAMES = ['cut-idle', 'cut-busy', 'saturated-upload', 'slow-upload', 'rtt-spike', 'cut-under-load',
  'oneway-up', 'oneway-down', 'steady-traffic', 'loss-5-oneway', 'loss-2-both'] as const;
export type ScenarioName = typeof SCENARIO_NAMES[number];
/** the saturated uploads: a queue ≥ 1 s behind a rate-limited line */
export const isUploadScenario = (name: string): boolean => name === 'saturated-upload' || name === 'slow-upload';

export interface ScenarioOptions {
  /** failovers per failover scenario */
  runs: number;
  /** fault of cut-idle and cut-busy (the other faults are the scenarios' own) */
  fault: FaultName;
  /** length of each loss scenario */
  lossMs: number;
  /** length of the saturated upload */
  uploadMs: number;
  /** how long the RTT spike is held after its ramp, and the ramp */
  spikeMs: number;
  spikeRampMs: number;
  spikeRttMs: number;
  /** the rate-limited uplink's upstream line and its queue */
  rateKbit: number;
  /** the slower line of slow-upload (fewer ACKs come back: under the traffic floor at times) */
  slowRateKbit: number;
  queueMs: number;
  /** the upload's own pace (more than the line takes) */
  uploadKbit: number;
  /** length of steady-traffic (a 10 ms UDP stream and a TCP flow on a healthy uplink) */
  steadyMs: number;
  log: (line: string) => void;
  stopped: () => boolean;
}

export const DEFAULT_SCENARIO_OPTIONS: Omit<ScenarioOptions, 'log' | 'stopped'> = {
  runs: 20, fault: 'cut', lossMs: 120_000, uploadMs: 60_000, spikeMs: 30_000, spikeRampMs: 2000, spikeRttMs: 800,
  rateKbit: 2000, slowRateKbit: 500, queueMs: 2000, uploadKbit: 3000, steadyMs: 60_000,
};

/** probes/s are also counted from this long after the start of a period of traffic (`settled`):
 *  the uplink starts at the idle rate and slows down once its traffic has lasted 1 s */
export const SETTLE_MS = 5000;

/** the uplink a scenario's fault and traffic are on, and the other one, in ProbeWindow.perUplink */
export const UNDER_TEST = 'under test';
export const OTHER = 'other';
const roleOf = (up: Uplink) => (name: string) => (name === up.name ? UNDER_TEST : OTHER);

/** Probe packets per second per uplink over a window (possibly several pieces): keyed by uplink
 *  name (`whole`) or by role, UNDER_TEST / OTHER (`steady`). */
export interface ProbeWindow {
  ms: number;
  perUplink: Record<string, { requestsPerS: number; repliesPerS: number }>;
}

/** The queue of the rate-limited line, from the relay's reports (every 250 ms). */
export interface QueueFigures {
  reports: number;
  medianMs: number | null;
  maxMs: number | null;
  /** share of the reports with ≥ 1 s queueing delay (0..1) */
  shareAtLeast1s: number;
  /** from the start of the upload until the queue first held ≥ 1 s */
  toOneSecondMs: number | null;
  tailDrops: number;
  /** datagrams coming back through the tunnel (the upload's ACKs, probe replies), the lowest
   *  rate over any second of the period after the queue first held 1 s: the upload kept getting
   *  ACKs when this is well above the probes' rate */
  backMinPerS: number | null;
}

export interface UploadFigures {
  /** what reached the sink, kbit/s over the period */
  kbitPerS: number;
  /** the longest time the sink's byte count did not grow: after a tail drop the data behind the
   *  hole waits for its retransmission (about one round trip) even while ACKs come back */
  longestStallMs: number;
  reconnects: number;
}

export interface EnduranceResult {
  uplink: string;
  durationMs: number;
  /** offline decisions on the uplink during the period: each a false failover */
  offline: number;
  degraded: number;
  transitions: TransitionEvent[];
  queue?: QueueFigures;
  upload?: UploadFigures;
  /** the uplink's probing as the status file showed it, polled once a second over the period:
   *  the share of polls with `slow` probing, and when it was first seen slow (ms from the start) */
  probing?: { polls: number; slowShare: number; firstSlowMs: number | null };
}

export interface FailoverRun extends FailoverResult {
  /** why the fault was not injected (cut-under-load: the uplink was offline, a false failover
   *  under the upload, or the queue did not hold 1 s because the upload had moved away after one) */
  skipped?: string;
  /** queueing delay of the line when the cut came (cut-under-load) */
  queueAtCutMs?: number | null;
}

export interface ScenarioResult {
  scenario: ScenarioName;
  profile: Profile;
  startedAt: number;
  durationMs: number;
  cpuSeconds: number;
  /** percent of one core over the scenario */
  cpuPct: number;
  /** probes/s per uplink while the scenario's traffic or fault was on (`steady`), from SETTLE_MS
   *  after its start (`settled`, the periods of traffic only) and overall */
  probes: { steady: ProbeWindow; settled?: ProbeWindow; whole: ProbeWindow };
  /** the uplink the fault or traffic is on (for the failovers: alternating, the first one) */
  uplink: string;
  floors?: FailoverFloors;
  runs?: FailoverRun[];
  endurance?: EnduranceResult;
  notes: string[];
}

/** Sums probe counts over pieces of time. */
class ProbeMeter {
  private ms = 0;
  private req: Record<string, number> = {};
  private rep: Record<string, number> = {};
  private open: { at: number; c: Record<string, ProbeCount> } | null = null;

  constructor(private readonly s: Session) {}

  async start(): Promise<void> {
    this.open = { at: Date.now(), c: await readProbeCounters(this.s.lab) };
  }

  /** Ends a piece; `role` names what each uplink was in it (default: its own name). */
  async stop(role: (uplink: string) => string = (u) => u): Promise<void> {
    if (!this.open) return;
    const c = await readProbeCounters(this.s.lab);
    this.ms += Date.now() - this.open.at;
    for (const [u, v] of Object.entries(c)) {
      const k = role(u);
      this.req[k] = (this.req[k] ?? 0) + v.requests - (this.open.c[u]?.requests ?? 0);
      this.rep[k] = (this.rep[k] ?? 0) + v.replies - (this.open.c[u]?.replies ?? 0);
    }
    this.open = null;
  }

  window(): ProbeWindow {
    const zero: Record<string, ProbeCount> = {};
    const sum: Record<string, ProbeCount> = {};
    for (const k of Object.keys(this.req)) { zero[k] = { requests: 0, replies: 0 }; sum[k] = { requests: this.req[k]!, replies: this.rep[k]! }; }
    return { ms: this.ms, perUplink: probeRates(zero, sum, this.ms) };
  }
}

const allOnline = (s: Session, ms = 30_000) => waitStatus(s.daemon, (st) => st.uplinks.every((u) => u.state === 'online'), ms);
const stateOf = (s: Session, iface: string) => { s.status.poll(); return s.status.latest?.uplinks.find((u) => u.iface === iface)?.state; };

/** Offline and degraded decisions of iface within [from, to], from the status file and MQTT
 *  (a transition can be missed by one of them when two come between polls). */
function transitionsIn(s: Session, iface: string, from: number, to: number): { offline: number; degraded: number; list: TransitionEvent[] } {
  s.status.poll();
  const inWin = (t: TransitionEvent) => t.iface === iface && t.at >= from && t.at <= to;
  const st = s.status.transitions.filter(inWin);
  const mq = s.mqtt.events().filter(inWin);
  const count = (to2: string) => Math.max(st.filter((t) => t.to === to2).length, mq.filter((t) => t.to === to2).length);
  return { offline: count('offline'), degraded: count('degraded'), list: st.length >= mq.length ? st : mq };
}

/** The latest queueing delay the relay on `up` reported (null: no report yet). */
function queueNow(s: Session, up: Uplink, since: number): number | null {
  return relayReports(s.lab, up, since).at(-1)?.up.queueMs ?? null;
}

function queueFigures(s: Session, up: Uplink, from: number, to: number): QueueFigures {
  const reps = relayReports(s.lab, up, from).filter((r) => r.at <= to);
  const q = reps.map((r) => r.up.queueMs).sort((a, b) => a - b);
  const first = reps.find((r) => r.up.queueMs >= 1000);
  let backMin: number | null = null;
  for (let i = 0, j = 0; first && i < reps.length; i++) {
    if (reps[i]!.at < first.at) continue;
    while (j < i && reps[i]!.at - reps[j + 1]!.at >= 1000) j++;
    const span = reps[i]!.at - reps[j]!.at;
    if (span < 1000) continue;
    const r = ((reps[i]!.down.forwarded - reps[j]!.down.forwarded) * 1000) / span;
    backMin = backMin === null ? r : Math.min(backMin, r);
  }
  return {
    reports: q.length, medianMs: q.length ? q[Math.floor((q.length - 1) / 2)]! : null, maxMs: q.length ? q[q.length - 1]! : null,
    shareAtLeast1s: q.length ? q.filter((x) => x >= 1000).length / q.length : 0,
    toOneSecondMs: first ? first.at - from : null,
    tailDrops: reps.at(-1)?.up.tailDrops ?? 0,
    backMinPerS: backMin,
  };
}

function uploadFigures(client: TrafficClient, from: number, to: number): UploadFigures {
  let total = 0;
  let last = 0;
  let lastGrowth = from;
  let stall = 0;
  for (const e of client.events) {
    if (e.ev !== 'upload' || e.at < from || e.at > to || e.bytes === last) continue;
    total += e.bytes > last ? e.bytes - last : e.bytes; // a reconnect counts from 0 again
    last = e.bytes;
    stall = Math.max(stall, e.at - lastGrowth);
    lastGrowth = e.at;
  }
  stall = Math.max(stall, to - lastGrowth);
  const reconnects = client.events.filter((e) => e.ev === 'reconnect' && e.flow === 'upload' && e.at >= from && e.at <= to).length;
  return { kbitPerS: (total * 8) / Math.max(1, to - from), longestStallMs: stall, reconnects };
}

/** Holds the period (status polled once a second), bounded by time and count. */
async function hold(s: Session, o: ScenarioOptions, ms: number, onPoll?: () => void): Promise<void> {
  const end = Date.now() + ms;
  for (let i = 0; i < Math.ceil(ms / 1000) + 1 && Date.now() < end && !o.stopped(); i++) {
    await sleep(Math.min(1000, Math.max(0, end - Date.now())));
    s.status.poll();
    onPoll?.();
  }
}

/** Counts, at every status poll, whether `iface` is probed slowly. */
function probingWatch(s: Session, iface: string, from: number) {
  let polls = 0;
  let slow = 0;
  let firstSlowMs: number | null = null;
  return {
    poll() {
      const u = s.status.latest?.uplinks.find((x) => x.iface === iface);
      if (!u) return;
      polls++;
      if (u.probing === 'slow') { slow++; firstSlowMs ??= Date.now() - from; }
    },
    result: () => ({ polls, slowShare: polls ? slow / polls : 0, firstSlowMs }),
  };
}

type Traffic = 'idle' | 'busy' | 'saturated';

/** Failovers at random phases: the fault on alternating uplinks (saturated: always the first,
 *  the rate-limited one), measured by scenario.ts's failover(). */
async function failovers(s: Session, o: ScenarioOptions, fault: FaultName, traffic: Traffic, steady: ProbeMeter, notes: string[]): Promise<FailoverRun[]> {
  const runs: FailoverRun[] = [];
  const lab = s.lab;
  let limit: ActiveFault | null = null;
  if (traffic === 'saturated') limit = await rateLimit(lab, lab.uplinks[0], { rateKbitUp: o.rateKbit, queueMs: o.queueMs, reportMs: 250 });
  try {
    for (let i = 0; i < o.runs && !o.stopped(); i++) {
      const up = traffic === 'saturated' ? lab.uplinks[0] : lab.uplinks[i % 2]!;
      let client: TrafficClient | null = null;
      let queueAtCutMs: number | null | undefined;
      const t0 = Date.now();
      let skipped: string | undefined;
      if (traffic === 'busy') {
        client = await startClient(lab, { streamOn: up.name, long: true, longOn: up.name });
        await client.waitFor((e) => e.ev === 'via' && e.flow === 'long', 5000);
      } else if (traffic === 'saturated') {
        const t = Date.now();
        client = await startClient(lab, { stream: false, upload: true, uploadOn: up.name, uploadKbit: o.uploadKbit });
        // until the queue holds ≥ 1 s (or the uplink went offline: the baseline's false failover);
        // the relay reports every 250 ms, and reading its log more often only costs CPU
        for (let k = 0; k < 80 && Date.now() - t < 20_000; k++) {
          if ((queueNow(s, up, t) ?? 0) >= 1000 || stateOf(s, up.name) === 'offline') break;
          await sleep(250);
        }
      }
      await steady.start();
      await sleep(500 + Math.random() * 1000); // random phase against the probe rounds
      await steady.stop(roleOf(up));
      if (traffic === 'saturated') {
        queueAtCutMs = queueNow(s, up, Date.now() - 1000);
        if (stateOf(s, up.name) === 'offline') skipped = 'offline before the cut (a false failover under the upload)';
        else if ((queueAtCutMs ?? 0) < 1000) skipped = 'queue < 1 s at the cut (the upload had moved away after a false failover)';
        if (!skipped && transitionsIn(s, up.name, t0, Date.now()).offline > 0) skipped = 'went offline while the queue filled (a false failover under the upload)';
      }
      let r: FailoverRun;
      if (skipped) {
        r = { fault, uplink: up.name, injectedAt: Date.now(), injectLagMs: null, restoredAt: Date.now(), detectMs: null, switchMs: null, routeMs: null, outageMs: null, mqttMs: null,
          mqttStateMs: null, tcpMovedMs: null, recoveryMs: null, backInRouteMs: null, skipped, queueAtCutMs };
      } else {
        r = { ...await failover(s, client, up, { fault, holdMs: 500 }), ...(queueAtCutMs === undefined ? {} : { queueAtCutMs }) };
      }
      if (client) await lab.procs.stop(client.child, 1000);
      runs.push(r);
      const q = r.queueAtCutMs === undefined ? '' : `, queue at the cut ${fmt(r.queueAtCutMs)} ms`;
      o.log(skipped ? `  run ${i + 1}/${o.runs} ${up.name}: not cut: ${skipped}${q}`
        : `  run ${i + 1}/${o.runs} ${up.name}: detect ${fmt(r.detectMs)} ms, switch ${fmt(r.switchMs)} ms (route ${fmt(r.routeMs)} ms after the decision), outage ${fmt(r.outageMs)} ms, tcp moved ${fmt(r.tcpMovedMs)} ms, recovery ${fmt(r.recoveryMs)} ms, mqtt ${fmt(r.mqttMs)} ms${q}`);
      if (traffic === 'saturated') await sleep(o.queueMs); // the queue drains
      else await restoreAll(lab);
      await allOnline(s, 15_000);
      await sleep(300);
    }
  } finally {
    if (limit) await restore(lab, limit);
  }
  const skippedRuns = runs.filter((r) => r.skipped).length;
  if (skippedRuns) notes.push(`${skippedRuns} of ${runs.length} runs not cut: a false failover under the saturated upload came first (details in the JSON, runs[].skipped)`);
  return runs;
}

const fmt = (v: number | null | undefined) => (v === null || v === undefined ? '–' : `${Math.round(v)}`);

/** A working but bad uplink for a period: offline is a false failover, degraded is fine.
 *  steady-traffic is the control: a healthy uplink carrying a flow, where slow probing should
 *  hold the probe rate to one packet per second. */
async function endurance(s: Session, o: ScenarioOptions, name: ScenarioName, steady: ProbeMeter, settled: ProbeMeter): Promise<EnduranceResult> {
  const lab = s.lab;
  const up = lab.uplinks[0];
  let f: ActiveFault | null = null;
  let client: TrafficClient | null = null;
  let ms: number;
  const upload = isUploadScenario(name);
  if (upload) {
    // from a calm line, as steady-traffic: after the cut scenarios' slow-probing starts (one earned
    // back per SLOW_REENTER_MS) the upload's first seconds would otherwise be probed fast
    await sleep(SLOW_REENTER_MS + 1000);
    f = await rateLimit(lab, up, { rateKbitUp: name === 'slow-upload' ? o.slowRateKbit : o.rateKbit, queueMs: o.queueMs, reportMs: 250 });
    client = await startClient(lab, { stream: false, upload: true, uploadOn: up.name, uploadKbit: o.uploadKbit });
    ms = o.uploadMs;
  } else if (name === 'steady-traffic') {
    // the control: a flow on a line whose slow-probing starts were not all spent by the previous
    // scenarios' cuts (one is earned back per SLOW_REENTER_MS): start after that long idle, too
    await sleep(SLOW_REENTER_MS + 1000);
    client = await startClient(lab, { streamOn: up.name, long: true, longOn: up.name });
    await client.waitFor((e) => e.ev === 'via' && e.flow === 'long', 5000);
    ms = o.steadyMs;
  } else if (name === 'rtt-spike') {
    f = await relay(lab, up, { rttMs: o.spikeRttMs, rampMs: o.spikeRampMs, reportMs: 1000 });
    ms = o.spikeRampMs + o.spikeMs;
  } else if (name === 'loss-5-oneway') {
    f = await loss(up, 5, 'up');
    ms = o.lossMs;
  } else {
    f = await loss(up, 2, 'both');
    ms = o.lossMs;
  }
  const what = f ? f.describe : `${up.name} healthy, carrying a 10 ms UDP stream and a TCP flow`;
  o.log(`  ${what} for ${(ms / 1000).toFixed(0)} s${client && f ? `, a ${o.uploadKbit} kbit/s TCP upload on ${up.name}` : ''}`);
  const from = f ? f.at : Date.now();
  const watch = probingWatch(s, up.name, from);
  await steady.start();
  const withTraffic = client !== null && ms > SETTLE_MS;
  if (withTraffic) {
    await hold(s, o, SETTLE_MS - (Date.now() - from), watch.poll);
    await settled.start();
  }
  await hold(s, o, ms - (Date.now() - from), watch.poll);
  if (withTraffic) await settled.stop(roleOf(up));
  await steady.stop(roleOf(up));
  const to = Date.now();
  const queue = upload ? queueFigures(s, up, from, to) : undefined;
  const goodput = upload && client ? uploadFigures(client, from, to) : undefined;
  if (client) await lab.procs.stop(client.child, 1000);
  // the upload's queue drains before the relay goes (removing it would drop what waits in it: a
  // real outage of up to queueMs on a line that is fine); an offline meanwhile still counts
  if (upload) await hold(s, o, o.queueMs + 500);
  const end = f ? await restore(lab, f) : Date.now();
  const t = transitionsIn(s, up.name, from, end);
  await allOnline(s);
  return { uplink: up.name, durationMs: end - from, offline: t.offline, degraded: t.degraded, transitions: t.list, queue, upload: goodput, probing: watch.result() };
}

const FAILOVER: Partial<Record<ScenarioName, { fault?: FaultName; traffic: Traffic }>> = {
  'cut-idle': { traffic: 'idle' },
  'cut-busy': { traffic: 'busy' },
  'cut-under-load': { fault: 'cut', traffic: 'saturated' },
  'oneway-up': { fault: 'oneway-up', traffic: 'busy' },
  'oneway-down': { fault: 'oneway-down', traffic: 'busy' },
};

/** Runs one scenario on a session whose uplinks are online. */
export async function runScenario(s: Session, name: ScenarioName, profile: Profile, o: ScenarioOptions): Promise<ScenarioResult> {
  const pid = s.daemon.pid;
  const cpu0 = cpuSeconds(pid);
  const startedAt = Date.now();
  const whole = new ProbeMeter(s);
  const steady = new ProbeMeter(s);
  const settled = new ProbeMeter(s);
  const notes: string[] = [];
  await whole.start();
  const spec = FAILOVER[name];
  const result: Partial<ScenarioResult> = {};
  try {
    if (spec) {
      result.floors = failoverFloors(s.health, profile, spec.traffic);
      result.runs = await failovers(s, o, spec.fault ?? o.fault, spec.traffic, steady, notes);
    } else {
      result.endurance = await endurance(s, o, name, steady, settled);
    }
  } finally {
    await whole.stop();
    await restoreAll(s.lab);
  }
  const durationMs = Date.now() - startedAt;
  const cpu = cpuSeconds(pid) - cpu0;
  return {
    scenario: name, profile, startedAt, durationMs, cpuSeconds: cpu, cpuPct: (cpu * 1000 * 100) / Math.max(1, durationMs),
    probes: { steady: steady.window(), ...(result.endurance?.probing && settled.window().ms > 0 ? { settled: settled.window() } : {}), whole: whole.window() }, uplink: s.lab.uplinks[0].name, notes, ...result,
  };
}
