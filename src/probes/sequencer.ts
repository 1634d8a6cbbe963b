// Decides, per target, when a probe counts as lost: fping (before 5.2) prints nothing for a lost
// probe, and a stalled or dying fping prints nothing at all. So a probe is lost when its reply has
// not arrived by its deadline: estimated send time + timeout + grace. Sequence gaps and elapsed
// time both fall out of that rule. Pure: time is passed in.
//
// fping -l -p P sends sequence k to a target at anchor + k·P. The anchor is estimated from replies
// (arrival − rtt − k·P): an earlier estimate is taken at once (pipe delays only make estimates
// later), a later one only by a bounded step per reply, so the schedule follows fping's real
// period (which runs a little longer than P, and much longer when the targets × spacing do not
// fit into P) without a burst of delayed lines pushing deadlines far out. Before the first reply
// the anchor is the prober's start plus a start-up allowance.
//
// A stalled daemon (SIGSTOP, a router busy rebuilding rules) wakes with fping's replies still
// buffered in the pipe and its timers overdue. hold(until) defers every judgement by elapsed time
// until the buffered lines have been read; a reply only proves loss of the lower sequence numbers
// of its own target (an answer came after them), never of higher ones still in the pipe.

export interface SeqResult {
  target: string;
  seq: number;
  rttMs: number | null;
  sentAt: number;
}

export interface SequencerOptions {
  intervalMs: number;
  timeoutMs: number;
  /** scheduling/pipe slack before a missing reply counts as lost */
  graceMs: number;
  /** time fping may take to start sending */
  startupMs: number;
  /** fping's gap between packets to successive targets (-i) */
  spacingMs: number;
}

export class Sequencer {
  private readonly anchor: number[];
  private readonly calibrated: boolean[];
  /** lowest sequence number not yet resolved, per target */
  private readonly next: number[];
  /** replies that arrived ahead of an unresolved lower sequence number, per target */
  private readonly early: Map<number, number>[];
  private readonly index = new Map<string, number>();
  /** replies counted: over the timeout or after their probe was judged (a slow line, not a dead one) */
  late = 0;
  /** no probe is lost by elapsed time before this (after a stall) */
  private holdUntil = -Infinity;
  /** the most a later anchor estimate moves the anchor per reply */
  private readonly maxStepMs: number;

  constructor(readonly targets: string[], private readonly o: SequencerOptions, startedAt: number) {
    this.anchor = targets.map((_, j) => startedAt + o.startupMs + j * o.spacingMs);
    this.calibrated = targets.map(() => false);
    this.next = targets.map(() => 0);
    this.early = targets.map(() => new Map());
    targets.forEach((t, j) => this.index.set(t, j));
    this.maxStepMs = Math.max(2, o.intervalMs / 10);
  }

  /** The daemon was stalled: judge nothing by elapsed time before `until`. */
  hold(until: number): void {
    this.holdUntil = Math.max(this.holdUntil, until);
  }

  private sentAt(j: number, seq: number): number {
    return this.anchor[j]! + seq * this.o.intervalMs;
  }

  private deadline(j: number, seq: number): number {
    return this.sentAt(j, seq) + this.o.timeoutMs + this.o.graceMs;
  }

  /** A reply arrived: returns the results it resolves (this one and anything now overdue). */
  reply(target: string, seq: number, rttMs: number, at: number): SeqResult[] {
    const j = this.index.get(target);
    if (j === undefined) return [];
    if (rttMs > this.o.timeoutMs || seq < this.next[j]!) this.late++;
    if (seq < this.next[j]!) return [];
    const est = at - rttMs - seq * this.o.intervalMs;
    const a = this.anchor[j]!;
    if (!this.calibrated[j] || est < a) this.anchor[j] = est;
    else if (at >= this.holdUntil) this.anchor[j] = a + Math.min(est - a, this.maxStepMs); // not from lines a stall delayed
    this.calibrated[j] = true;
    // judged by fping's measured RTT, not by when the line was read: over the timeout is lost
    this.early[j]!.set(seq, rttMs > this.o.timeoutMs ? NaN : rttMs);
    return this.drain(j, at, seq);
  }

  /** fping said a probe timed out (fping ≥ 5.2): resolve it now instead of at its deadline. */
  timedOut(target: string, seq: number, at: number): SeqResult[] {
    const j = this.index.get(target);
    if (j === undefined || seq < this.next[j]!) return [];
    this.early[j]!.set(seq, NaN);
    return this.drain(j, at, seq);
  }

  /** Everything overdue at `at` (call from a timer at nextDeadline()). */
  due(at: number): SeqResult[] {
    const out: SeqResult[] = [];
    if (at < this.holdUntil) return out;
    for (let j = 0; j < this.targets.length; j++) out.push(...this.drain(j, at, Infinity));
    return out;
  }

  /** The earliest time at which an unresolved probe becomes overdue. */
  nextDeadline(): number {
    let min = Infinity;
    for (let j = 0; j < this.targets.length; j++) min = Math.min(min, this.deadline(j, this.next[j]!));
    return Math.max(min, this.holdUntil);
  }

  /** Resolves target j in order: replies at hand, and (outside a hold) overdue probes below
   *  `lossBelow` as lost. */
  private drain(j: number, at: number, lossBelow: number): SeqResult[] {
    const out: SeqResult[] = [];
    const early = this.early[j]!;
    // bounded: at most one result per elapsed interval plus what arrived early
    for (let guard = 0; guard < 10_000; guard++) {
      const seq = this.next[j]!;
      const got = early.get(seq);
      if (got !== undefined) {
        early.delete(seq);
        out.push({ target: this.targets[j]!, seq, rttMs: Number.isNaN(got) ? null : got, sentAt: this.sentAt(j, seq) });
      } else if (seq < lossBelow && at >= this.holdUntil && at >= this.deadline(j, seq)) {
        out.push({ target: this.targets[j]!, seq, rttMs: null, sentAt: this.sentAt(j, seq) });
      } else {
        break;
      }
      this.next[j] = seq + 1;
    }
    return out;
  }
}
