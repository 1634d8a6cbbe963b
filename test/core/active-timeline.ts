// A fake-clock timeline of one uplink driven through the core's step(), with everything the daemon
// would do around it: the prober at the rate the core asks for (a rate change restarts it: its
// probes in flight are forgotten, sequence numbers start again), the device counters sampled every
// 100 ms (user traffic plus probe packets), and the quick probes of a `confirm` action. What the
// line does is a function of time: the RTT of a packet sent at t (null: it or its answer is lost)
// and the user traffic's packet rates.
import type { Config, HealthParams } from '../../src/config/types.ts';
import { createCoreState, step } from '../../src/core/engine.ts';
import type { CoreAction, CoreEvent, ProbeRate } from '../../src/core/events.ts';
import { probePeriodMs, probeSpacingMs } from '../../src/probes/fping-driver.ts';
import { confirmPeriodMs } from '../../src/probes/confirm.ts';
import { CONFIRM_PROBES } from '../../src/core/uplink.ts';
import { testConfig } from './config-fixture.ts';
import { PARAMS } from './timeline.ts';

export interface ActiveLine {
  /** RTT of a packet sent at `t` to target j (a probe), or null when it or its answer is lost */
  probe(t: number, j: number): number | null;
  /** user packets per second the device receives / sends at `t` */
  rxPps(t: number): number;
  txPps(t: number): number;
}

export interface ActiveRun {
  states: { at: number; state: string; reason: string; detectMs: number | null }[];
  rates: { at: number; rate: ProbeRate }[];
  confirms: { at: number; waitMs: number; answered: number | null }[];
  /** send times of every probe packet (prober and quick probes) */
  probesSent: number[];
  finalState: string;
}

const SPAWN_MS = 5;
const GRACE_MS = 25;

class Queue {
  private items: { at: number; n: number; run: () => void }[] = [];
  private n = 0;
  push(at: number, run: () => void): void {
    const item = { at, n: this.n++, run };
    const a = this.items;
    a.push(item);
    for (let i = a.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (a[p]!.at < item.at || (a[p]!.at === item.at && a[p]!.n < item.n)) break;
      a[i] = a[p]!; a[p] = item; i = p;
    }
  }
  pop(): { at: number; run: () => void } | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        const less = (x: number, y: number) => a[x]!.at < a[y]!.at || (a[x]!.at === a[y]!.at && a[x]!.n < a[y]!.n);
        if (l < a.length && less(l, m)) m = l;
        if (r < a.length && less(r, m)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!]; i = m;
      }
    }
    return top;
  }
}

export function runActive(ms: number, line: ActiveLine, params: Partial<HealthParams> = {}, samplePhase = 0, targetCount?: number): ActiveRun {
  const health = { ...PARAMS, trafficEvidence: true, ...params };
  const config: Config = testConfig(['wg0', 'wg1']);
  for (const i of config.interfaces) i.health = { ...health };
  const iface = config.interfaces[0]!;
  if (targetCount) iface.trackIps = Array.from({ length: targetCount }, (_, k) => `192.0.2.${k + 1}`);
  const targets = iface.trackIps;
  const core = createCoreState(config, 0);
  const q = new Queue();
  const out: ActiveRun = { states: [], rates: [], confirms: [], probesSent: [], finalState: '' };
  let rx = 0; // probe and confirm replies received so far (user traffic is integrated below)
  let probeTx = 0;
  let generation = 0;
  let rate: ProbeRate = 'fast';
  let confirmBusy = false;

  let wakeArmed: number | null = null;
  const feed = (e: CoreEvent) => {
    for (const a of step(core, e, config)) act(a, e.at);
    // as the daemon does: wake the core when an idle line's wait ends
    const w = core.uplinks.get('wg0')!.wakeAt();
    if (e.kind === 'probeResult' && !e.ok && w !== null && w !== wakeArmed) {
      wakeArmed = w;
      // a wait that is already over (the silence began long ago) is woken now, as the daemon's
      // timer does, never in the past
      const at = Math.max(w, e.at);
      q.push(at, () => { if (wakeArmed === w) { wakeArmed = null; feed({ kind: 'wake', iface: 'wg0', at }); } });
    }
  };
  const act = (a: CoreAction, at: number) => {
    if (a.kind === 'announce' && a.iface === 'wg0') out.states.push({ at, state: a.to, reason: a.reason, detectMs: a.detectMs });
    else if (a.kind === 'probeRate' && a.iface === 'wg0') { out.rates.push({ at, rate: a.rate }); rate = a.rate; startProber(at + SPAWN_MS); }
    else if (a.kind === 'confirm' && a.iface === 'wg0') confirm(at, a.waitMs);
  };
  const send = (t: number, j: number, onAnswer: (arrive: number, rtt: number) => void) => {
    out.probesSent.push(t);
    probeTx++;
    const rtt = line.probe(t, j);
    if (rtt !== null) q.push(t + rtt, () => { rx++; onAnswer(t + rtt, rtt); });
  };
  const startProber = (start: number) => {
    const gen = ++generation;
    const period = probePeriodMs(iface, rate);
    const spacing = probeSpacingMs(iface, rate);
    const round = (k: number) => {
      const t0 = start + k * period;
      if (t0 >= ms) return;
      q.push(t0, () => {
        if (gen !== generation) return;
        if (k === 0) feed({ kind: 'proberStarted', iface: 'wg0', at: start });
        targets.forEach((target, j) => {
          const sentAt = t0 + j * spacing;
          let judged = false;
          const lost = (at: number) => { judged = true; feed({ kind: 'probeResult', iface: 'wg0', target, seq: k, ok: false, rttMs: null, sentAt, at }); };
          send(sentAt, j, (arrive, rtt) => {
            if (gen !== generation) return;
            if (rtt <= health.timeoutMs) {
              judged = true;
              feed({ kind: 'probeResult', iface: 'wg0', target, seq: k, ok: true, rttMs: rtt, sentAt, at: arrive });
            } else {
              // as the prober does: over the timeout is lost (at once, if its deadline has not come
              // yet), and the late reply follows its probe's result
              if (!judged) lost(arrive);
              feed({ kind: 'lateReply', iface: 'wg0', target, seq: k, rttMs: rtt, at: arrive });
            }
          });
          const deadline = sentAt + health.timeoutMs + GRACE_MS;
          q.push(deadline, () => {
            if (gen !== generation || judged) return;
            lost(deadline);
          });
        });
        round(k + 1);
      });
    };
    round(0);
  };
  const confirm = (at: number, waitMs: number) => {
    if (confirmBusy) return;
    confirmBusy = true;
    const s = at + SPAWN_MS;
    const P = confirmPeriodMs(iface);
    const answered = new Set<number>();
    let done = false;
    const finish = (t: number) => {
      if (done) return;
      done = true;
      confirmBusy = false;
      out.confirms.push({ at: t, waitMs, answered: answered.size });
      feed({ kind: 'confirmed', iface: 'wg0', answered: answered.size, at: t });
    };
    // fping's verdict per probe: its reply, or "timed out" after waitMs; done when enough targets
    // answered or every probe is judged
    let judged = 0;
    const total = CONFIRM_PROBES * targets.length;
    for (let k = 0; k < CONFIRM_PROBES; k++) {
      targets.forEach((_, j) => {
        const sentAt = s + k * P + j * 10;
        q.push(sentAt, () => {
          if (done) return;
          let got = false;
          send(sentAt, j, (arrive, rtt) => {
            if (done || rtt > waitMs) return;
            got = true;
            answered.add(j);
            judged++;
            if (answered.size >= health.reliability || judged === total) finish(arrive);
          });
          q.push(sentAt + waitMs, () => {
            if (done || got) return;
            judged++;
            if (judged === total) finish(sentAt + waitMs);
          });
        });
      });
    }
  };

  // user traffic, integrated per millisecond step of 10 ms (rates change at most that often)
  let userRx = 0;
  let userTx = 0;
  let integrated = 0;
  const integrate = (to: number) => {
    for (; integrated + 10 <= to; integrated += 10) {
      userRx += line.rxPps(integrated) / 100;
      userTx += line.txPps(integrated) / 100;
    }
  };
  for (let t = samplePhase; t < ms; t += 100) {
    const at = t;
    q.push(at, () => {
      integrate(at);
      feed({ kind: 'counterSample', iface: 'wg0', rxPackets: Math.floor(userRx) + rx, txPackets: Math.floor(userTx) + probeTx, at });
    });
  }
  startProber(0);
  for (let guard = 0; guard < 10_000_000; guard++) {
    const e = q.pop();
    if (!e || e.at >= ms) break;
    e.run();
  }
  out.finalState = core.uplinks.get('wg0')!.state;
  return out;
}

/** probe packets per second sent between `from` and `to` */
export function probeRate(run: ActiveRun, from: number, to: number): number {
  return run.probesSent.filter((t) => t >= from && t < to).length / ((to - from) / 1000);
}

/** ms from `cutAt` to the first offline decision after it (null: none) */
export function offlineAfter(run: ActiveRun, cutAt: number): number | null {
  const s = run.states.find((x) => x.state === 'offline' && x.at >= cutAt);
  return s ? s.at - cutAt : null;
}
