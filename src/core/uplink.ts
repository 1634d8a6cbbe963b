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
import type { ProbeRate, UplinkStateName } from './events.ts';
import { EVIDENCE_MS, IDLE_WAIT_MS, RX_MIN_PACKETS, STALL_MS, TRICKLE_MIN, TrafficEvidence } from './evidence.ts';
import { ResultWindow } from './window.ts';

/** rounds kept open waiting for slower targets before the oldest is closed anyway */
const MAX_OPEN_ROUNDS = 8;
/** traffic must flow this long before probing slows down (its own packets are the evidence) */
export const BUSY_ENTER_MS = 1000;
/** Each start of slow probing costs two fping starts (into it and out of it again), so starts are
 *  rationed like a token bucket: SLOW_ENTRY_BURST of them back to back after a calm spell, then
 *  one more per SLOW_REENTER_MS. A flow that follows another within seconds is probed slowly
 *  all the same; bursty traffic costs at most two fping starts per 10 s in the long run. */
export const SLOW_ENTRY_BURST = 3;
export const SLOW_REENTER_MS = 10_000;
/** the quickest a confirmation waits for an answer, and the RTT multiple it allows */
export const CONFIRM_MIN_MS = 60;
/** a confirmation that never reported back is forgotten after this long */
const CONFIRM_GIVEUP_MS = 3000;
/** slow probing: one probe per this many ms per uplink, spread over its targets (the prober's
 *  period, src/probes/fping-driver.ts; and what its replies add to the counters) */
export const SLOW_PROBE_MS = 1000;
/** probes per target in one confirmation (src/probes/confirm.ts) */
export const CONFIRM_PROBES = 2;

interface LostProbe { key: number; sentAt: number }
/** the most lost probes remembered for late replies (a few seconds of an interval's rounds) */
const MAX_LOST = 64;

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
  /** how often the prober should send: 'slow' while the uplink's own traffic proves it alive */
  rate: ProbeRate = 'fast';
  /** set when `rate` changed; the engine turns it into a probeRate action and clears it */
  rateChanged = false;
  /** set to the wait (ms) when a running flow stopped and quick probes should confirm a cut */
  confirmRequest: number | null = null;
  /** a confirmation under way: when it was asked for, and when the traffic stopped */
  private confirming: { since: number; stallAt: number } | null = null;
  /** a stall is reported once per busy period */
  private stallArmed = false;
  private suspectAt: number | null = null;
  /** slow-probing starts left (SLOW_ENTRY_BURST), as of slowCreditAt */
  private slowCredit = SLOW_ENTRY_BURST;
  private slowCreditAt = 0;
  private readonly targetIndex = new Map<string, number>();
  private open = new Map<number, OpenRound>();
  private nextSeq = 0;
  private failStartAt: number | null = null;
  private goodStartAt: number | null = null;
  private lastRecoveryAt: number | null = null;
  private lastAnswered = 0;
  /** send time of the newest probe answered (in time or late), and of the first probe lost after it */
  private answeredSentAt = -Infinity;
  private lostSince: number | null = null;
  /** the probes lost since answeredSentAt, oldest first (bounded): a late reply to one of them
   *  moves the start of the silence past it */
  private lostAfter: LostProbe[] = [];
  /** the prober's generation: sequence numbers begin again with every (re)start */
  private proberGen = 0;

  constructor(
    readonly iface: string,
    readonly targets: string[],
    public params: HealthParams,
    at: number,
  ) {
    this.sinceAt = at;
    this.ownReplies();
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
    this.proberGen++;
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
    this.lostSince = null;
    this.lostAfter.length = 0;
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
    if (rttMs !== null) this.answered(sentAt);
    else this.lost(this.lostKey(seq, idx), sentAt);
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

  /** A reply that came after its probe's deadline (the prober delivers that probe's lost result
   *  first): the line answered that probe, slowly. It is evidence of life (TrafficEvidence), and
   *  the silence cannot have begun before that probe. */
  lateReply(target: string, seq: number, at: number): void {
    this.evidence.lateReply(at);
    const idx = this.targetIndex.get(target);
    if (idx === undefined) return;
    const key = this.lostKey(seq, idx);
    const lost = this.lostAfter.find((l) => l.key === key);
    if (lost) this.answered(lost.sentAt);
  }

  private lostKey(seq: number, idx: number): number {
    return (this.proberGen % 1024) * 2 ** 40 + seq * 64 + (idx % 64);
  }

  // the silence began with the first probe lost after the newest answered one (any target)
  private answered(sentAt: number): void {
    if (sentAt <= this.answeredSentAt) return;
    this.answeredSentAt = sentAt;
    let k = 0;
    while (k < this.lostAfter.length && this.lostAfter[k]!.sentAt <= sentAt) k++;
    if (k) this.lostAfter.splice(0, k);
    this.lostSince = this.lostAfter.length ? this.lostAfter[0]!.sentAt : null;
  }

  private lost(key: number, sentAt: number): void {
    if (sentAt <= this.answeredSentAt) return;
    if (this.lostAfter.length >= MAX_LOST) this.lostAfter.shift();
    let i = this.lostAfter.length;
    while (i > 0 && this.lostAfter[i - 1]!.sentAt > sentAt) i--;
    this.lostAfter.splice(i, 0, { key, sentAt });
    this.lostSince = this.lostAfter[0]!.sentAt;
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
    // With traffic evidence an idle line waits IDLE_WAIT_MS from its first lost probe anyway, so
    // once every probe since then is lost, down − 1 failed rounds are enough: the last round would
    // only end later than that wait (its second target's probe goes out half an interval later).
    const evidence = p.trafficEvidence && this.state !== 'unknown';
    const early = evidence && this.failStreak >= Math.max(1, p.down - 1) && this.lostSince !== null && at - this.lostSince >= IDLE_WAIT_MS;
    if (this.state !== 'offline' && (this.failStreak >= p.down || early)) {
      const alive = evidence ? this.evidence.alive(at) : null;
      if (alive) {
        if (this.failStreak < p.down) return null;
        // probes miss their deadline, but the line carries traffic: slow, not dead
        this.slow = true;
        return this.moveTo('degraded', `${this.failStreak} failed rounds, but the line is alive (${alive})`, null, at);
      }
      // A slow line whose every probe has been answered, however late, has not gone silent: its
      // queue is draining (a saturated upload that ended: the last ACKs and late replies come out
      // together, then nothing is left to prove life until in-time answers close good rounds).
      // Offline needs a probe lost after the newest answer; a cut gives one at once.
      if (this.slow && this.lostSince === null) return null;
      const quietSince = this.lostSince ?? this.failStartAt;
      if (evidence && quietSince !== null && at - quietSince < IDLE_WAIT_MS && !this.evidence.busyBefore(quietSince)) {
        return null; // idle line: wait a little longer for late replies (decided at the next round)
      }
      // a slow line failed its rounds all along: its cut began with the silence, not with them
      const since = this.slow && quietSince !== null ? quietSince : Math.min(quietSince ?? Infinity, this.failStartAt ?? Infinity);
      const detect = Number.isFinite(since) ? at - since : null;
      return this.offline(`${this.failStreak} failed rounds: ${this.lastAnswered}/${n} targets answered (need ${p.reliability})`, detect, at);
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

  private offline(reason: string, detectMs: number | null, at: number): Transition | null {
    this.slow = false;
    this.goodStreak = 0;
    this.goodStartAt = null;
    if (this.lastRecoveryAt !== null && at - this.lastRecoveryAt < this.params.flapWindowMs) this.flaps++;
    else this.flaps = 0;
    return this.moveTo('offline', reason, detectMs, at);
  }

  /** After a counter sample: the probe rate, a running flow that stopped (→ confirmRequest), and
   *  an idle line whose failed probes are now old enough (decided now rather than at the next
   *  round). */
  sampled(at: number): Transition | null {
    const p = this.params;
    if (!p.trafficEvidence) return null;
    const ev = this.evidence;
    const up = this.state === 'online' || this.state === 'degraded';
    // armed again only by new traffic after the last suspicion, not by the tail of the old one
    if (ev.busySince !== null && !this.stallArmed) {
      const since = this.suspectAt === null ? null : ev.rxBetween(this.suspectAt, at);
      if (since === null ? this.suspectAt === null : since >= ev.minPackets) this.stallArmed = true;
    }
    if (this.confirming && at - this.confirming.since > CONFIRM_GIVEUP_MS) this.confirming = null;
    // slow probing listens less: any stall counts; fast probing sees a cut itself within a second,
    // so there only a flow that keeps sending into silence is worth a confirmation
    if (up && this.stallArmed && !this.confirming && ev.stalled(at, this.rate === 'fast')) {
      this.stallArmed = false;
      this.suspectAt = at;
      this.confirming = { since: at, stallAt: at - STALL_MS };
      this.confirmRequest = this.confirmWaitMs();
    }
    // While the quick probes run, the rate stays as it is: restarting the prober then would start
    // a second process right before the decision (a fork of the whole daemon under Node), and the
    // quick probes cover that time anyway. Failing probes on a line whose traffic shows it alive
    // (a bloated queue) keep the slow rate, also while its few ACKs dip under the traffic floor;
    // such a line, slow and receiving a steady trickle, counts as busy (a slow upload's ACKs).
    if (!this.confirming) {
      const busy = (ev.busySince !== null && at - ev.busySince >= BUSY_ENTER_MS)
        || (this.slow && ev.trickleSince !== null && at - ev.trickleSince >= BUSY_ENTER_MS);
      const slowOk = up && (busy || this.rate === 'slow')
        && ((busy && this.failStreak === 0) || ev.alive(at) !== null);
      if (this.rate === 'fast' && slowOk) {
        const credit = Math.min(SLOW_ENTRY_BURST, this.slowCredit + Math.max(0, at - this.slowCreditAt) / SLOW_REENTER_MS);
        if (credit >= 1) {
          this.slowCredit = credit - 1;
          this.slowCreditAt = at;
          this.setRate('slow');
        }
      } else if (this.rate === 'slow' && !slowOk) this.setRate('fast');
    }
    if (this.state === 'offline' || this.failStreak < Math.max(1, p.down - 1)) return null;
    return this.decide(at);
  }

  /** When an idle line's wait for late replies ends (the daemon wakes the core then, event
   *  `wake`), or null when nothing waits. */
  wakeAt(): number | null {
    const p = this.params;
    if (!p.trafficEvidence || this.lostSince === null || this.state === 'offline' || this.state === 'unknown') return null;
    if (this.failStreak < Math.max(1, p.down - 1)) return null;
    return this.lostSince + IDLE_WAIT_MS;
  }

  /** At wakeAt(): decide now rather than at the next round or counter sample. */
  woken(at: number): Transition | null {
    const w = this.wakeAt();
    return w === null || at < w ? null : this.decide(at);
  }

  /** The quick probes asked for by confirmRequest answered (`answered` targets, null: they could
   *  not run, so the ordinary rounds decide). */
  confirmed(answered: number | null, at: number): Transition | null {
    const c = this.confirming;
    this.confirming = null;
    if (!c || answered === null || answered >= this.params.reliability) return null;
    if (this.state !== 'online' && this.state !== 'degraded') return null;
    const rx = this.evidence.rxBetween(c.since, at);
    if (rx !== null && rx > 1) return null; // traffic came back meanwhile: it was a pause
    const quiet = Math.round(at - c.stallAt);
    return this.offline(`traffic stopped (nothing received for ${quiet} ms) and ${answered}/${this.targets.length} targets answered ${CONFIRM_PROBES} quick probes (need ${this.params.reliability})`, at - c.stallAt, at);
  }

  /** How long quick probes wait for an answer: a few RTTs of this line, within timeout_ms. */
  confirmWaitMs(): number {
    const rtt = this.meanRttMs() ?? this.params.timeoutMs / 2;
    const jitter = this.jitterMs() ?? 0;
    return Math.round(Math.min(this.params.timeoutMs, Math.max(CONFIRM_MIN_MS, 3 * rtt + 4 * jitter + 20)));
  }

  /** what the uplink's own probes bring in does not count as its traffic (TrafficEvidence) */
  ownReplies(): void {
    const perS = this.rate === 'slow' ? 1000 / SLOW_PROBE_MS : this.targets.length * 1000 / this.params.intervalMs;
    const own = Math.ceil(perS * EVIDENCE_MS / 1000);
    this.evidence.minPackets = RX_MIN_PACKETS + own;
    this.evidence.trickleMin = TRICKLE_MIN + own;
  }

  private setRate(rate: ProbeRate): void {
    if (rate === this.rate) return;
    this.rate = rate;
    this.ownReplies();
    this.rateChanged = true;
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
