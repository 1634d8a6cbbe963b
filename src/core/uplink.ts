// The health state machine of one uplink, with mwan3's meaning of its knobs:
// - a *round* is one probe sequence number across all targets; it fails when fewer than
//   `reliability` targets answered within the timeout (mwan3track: "reliability" per turn);
// - `down` consecutive failed rounds → offline; `up` consecutive good rounds → online;
//   one good round while failing resets the count (as in mwan3track);
// - quality (optional): mean RTT / loss over the window past the failure levels → degraded,
//   back under the recovery levels → online (separate levels = hysteresis);
// - damping: an outage soon after a recovery is a flap; each flap doubles the good rounds needed
//   to recover, bounded by maxHoldMs; a stable flapWindowMs online forgets the flaps.
// Pure: time comes with each call. Mutates only its own record.
import type { HealthParams } from '../config/types.ts';
import type { UplinkStateName } from './events.ts';
import { IDLE_WAIT_MS, TrafficEvidence } from './evidence.ts';
import { ResultWindow } from './window.ts';

/** rounds kept open waiting for slower targets before the oldest is closed anyway */
const MAX_OPEN_ROUNDS = 8;

interface OpenRound {
  sentAt: number;
  /** rtt per target index; undefined = no result yet, null = lost */
  results: (number | null | undefined)[];
  filled: number;
}

export interface Transition {
  from: UplinkStateName;
  to: UplinkStateName;
  reason: string;
  detectMs: number | null;
}

export class Uplink {
  state: UplinkStateName = 'unknown';
  sinceAt: number;
  reason = 'starting';
  failStreak = 0;
  goodStreak = 0;
  flaps = 0;
  proberAlive = false;
  /** when the state became unknown because the prober broke (null otherwise) */
  brokenSince: number | null = null;
  readonly windows: ResultWindow[];
  /** the uplink's own traffic and late replies (src/core/evidence.ts) */
  readonly evidence = new TrafficEvidence();
  /** degraded because probes fail on a line that is alive (bufferbloat), not for quality */
  slow = false;
  private readonly targetIndex = new Map<string, number>();
  private open = new Map<number, OpenRound>();
  private nextSeq = 0;
  private failStartAt: number | null = null;
  private goodStartAt: number | null = null;
  private lastRecoveryAt: number | null = null;
  private lastAnswered = 0;

  constructor(
    readonly iface: string,
    readonly targets: string[],
    public params: HealthParams,
    at: number,
  ) {
    this.sinceAt = at;
    this.windows = targets.map(() => new ResultWindow(params.windowRounds));
    targets.forEach((t, i) => this.targetIndex.set(t, i));
  }

  /** good rounds needed to leave offline, with flap damping */
  requiredUp(): number {
    const p = this.params;
    const damped = p.up * 2 ** Math.min(this.flaps, 16);
    const cap = Math.max(p.up, Math.ceil(p.maxHoldMs / p.intervalMs));
    return Math.min(damped, cap);
  }

  proberStarted(at: number): void {
    this.proberAlive = true;
    this.open.clear();
    this.nextSeq = 0;
    void at;
  }

  /** The prober is gone: nothing is known any more. Never report that as healthy. */
  proberDied(reason: string, at: number): Transition | null {
    this.proberAlive = false;
    this.open.clear();
    this.slow = false;
    this.failStreak = 0;
    this.goodStreak = 0;
    this.failStartAt = null;
    this.goodStartAt = null;
    if (this.brokenSince === null) this.brokenSince = at;
    return this.moveTo('unknown', `prober failed: ${reason}`, null, at);
  }

  /** Feeds one target's result; returns the transitions of every round this closed. */
  result(target: string, seq: number, rttMs: number | null, sentAt: number, at: number): Transition[] {
    const idx = this.targetIndex.get(target);
    if (idx === undefined || seq < this.nextSeq) return [];
    let round = this.open.get(seq);
    if (!round) {
      round = { sentAt, results: new Array(this.targets.length), filled: 0 };
      this.open.set(seq, round);
    }
    if (round.results[idx] !== undefined) return []; // duplicate line
    round.results[idx] = rttMs;
    round.filled++;
    round.sentAt = Math.min(round.sentAt, sentAt);
    const out: Transition[] = [];
    for (;;) {
      const head = this.open.get(this.nextSeq);
      const complete = head !== undefined && head.filled === this.targets.length;
      const overdue = this.open.size > MAX_OPEN_ROUNDS;
      if (!complete && !overdue) break;
      if (head) {
        const t = this.closeRound(head, at);
        if (t) out.push(t);
      }
      this.open.delete(this.nextSeq);
      this.nextSeq++;
    }
    return out;
  }

  /** Between rounds (a counter sample): an idle line whose failed probes are now old enough is
   *  decided now rather than at the next round. */
  recheck(at: number): Transition | null {
    if (!this.params.trafficEvidence || this.state === 'offline' || this.failStreak < this.params.down) return null;
    return this.decide(at);
  }

  private closeRound(round: OpenRound, at: number): Transition | null {
    let answered = 0;
    for (let i = 0; i < this.targets.length; i++) {
      const r = round.results[i];
      const rtt = r === undefined ? null : r;
      if (rtt !== null) answered++;
      this.windows[i]!.push(rtt);
    }
    this.lastAnswered = answered;
    this.brokenSince = null;
    const good = answered >= this.params.reliability;
    if (good) {
      if (this.goodStreak === 0) this.goodStartAt = round.sentAt;
      this.goodStreak++;
      this.failStreak = 0;
      this.failStartAt = null;
    } else {
      if (this.failStreak === 0) this.failStartAt = round.sentAt;
      this.failStreak++;
      this.goodStreak = 0;
      this.goodStartAt = null;
    }
    return this.decide(at);
  }

  private decide(at: number): Transition | null {
    const p = this.params;
    const n = this.targets.length;
    if (this.state !== 'offline' && this.failStreak >= p.down) {
      const alive = p.trafficEvidence && this.state !== 'unknown' ? this.evidence.alive(at) : null;
      if (alive) {
        // probes miss their deadline, but the line carries traffic: slow, not dead
        this.slow = true;
        return this.moveTo('degraded', `${this.failStreak} failed rounds, but the line is alive (${alive})`, null, at);
      }
      if (p.trafficEvidence && this.state !== 'unknown' && this.failStartAt !== null && at - this.failStartAt < IDLE_WAIT_MS
        && !this.evidence.busyBefore(this.failStartAt)) {
        return null; // idle line: wait a little longer for late replies (decided at the next round)
      }
      this.slow = false;
      if (this.lastRecoveryAt !== null && at - this.lastRecoveryAt < p.flapWindowMs) this.flaps++;
      else this.flaps = 0;
      const detect = this.failStartAt === null ? null : at - this.failStartAt;
      return this.moveTo('offline', `${this.failStreak} failed rounds: ${this.lastAnswered}/${n} targets answered (need ${p.reliability})`, detect, at);
    }
    if (this.state === 'offline' || this.state === 'unknown') {
      const need = this.state === 'offline' ? this.requiredUp() : p.up;
      if (this.goodStreak >= need) {
        const detect = this.goodStartAt === null ? null : at - this.goodStartAt;
        if (this.state === 'offline') this.lastRecoveryAt = at;
        const damped = need > p.up ? ` (damped: ${this.flaps} flap${this.flaps === 1 ? '' : 's'})` : '';
        const t = this.moveTo('online', `${this.goodStreak} good rounds${damped}`, detect, at);
        return this.quality(at) ?? t;
      }
      return null;
    }
    // online or degraded
    if (this.slow) {
      if (this.goodStreak < p.up) return null;
      this.slow = false;
      const t = this.moveTo('online', `${this.goodStreak} good rounds: probes in time again`, null, at);
      return this.quality(at) ?? t;
    }
    if (this.lastRecoveryAt !== null && this.flaps > 0 && at - this.lastRecoveryAt >= p.flapWindowMs) this.flaps = 0;
    return this.quality(at);
  }

  private quality(at: number): Transition | null {
    const p = this.params;
    if (!p.checkQuality) return null;
    const warm = this.windows.every((w) => w.length >= Math.min(10, w.size));
    if (!warm) return null;
    const rtt = this.meanRttMs();
    const loss = this.lossPct() ?? 0;
    if (this.state === 'online') {
      if (rtt !== null && rtt > p.failureLatencyMs) return this.moveTo('degraded', `latency ${rtt.toFixed(0)} ms > ${p.failureLatencyMs} ms`, null, at);
      if (loss > p.failureLossPct) return this.moveTo('degraded', `loss ${loss.toFixed(0)} % > ${p.failureLossPct} %`, null, at);
    } else if (this.state === 'degraded') {
      if ((rtt === null || rtt <= p.recoveryLatencyMs) && loss <= p.recoveryLossPct) {
        return this.moveTo('online', `quality recovered: latency ${rtt === null ? '-' : rtt.toFixed(0)} ms, loss ${loss.toFixed(0)} %`, null, at);
      }
    }
    return null;
  }

  private moveTo(to: UplinkStateName, reason: string, detectMs: number | null, at: number): Transition | null {
    if (to === this.state) { this.reason = reason; return null; }
    const from = this.state;
    this.state = to;
    this.sinceAt = at;
    this.reason = reason;
    return { from, to, reason, detectMs };
  }

  meanRttMs(): number | null {
    let sum = 0;
    let n = 0;
    for (const w of this.windows) { const v = w.meanRttMs(); if (v !== null) { sum += v; n++; } }
    return n === 0 ? null : sum / n;
  }

  jitterMs(): number | null {
    let sum = 0;
    let n = 0;
    for (const w of this.windows) { const v = w.jitterMs(); if (v !== null) { sum += v; n++; } }
    return n === 0 ? null : sum / n;
  }

  lossPct(): number | null {
    let sum = 0;
    let n = 0;
    for (const w of this.windows) { const v = w.lossPct(); if (v !== null) { sum += v; n++; } }
    return n === 0 ? null : sum / n;
  }
}
