// Decides, per target, when a probe counts as lost: fping (before 5.2) prints nothing for a lost
// probe, and a stalled or dying fping prints nothing at all. So a probe is lost when its reply has
// not arrived by its deadline: estimated send time + timeout + grace. Sequence gaps and elapsed
// time both fall out of that rule. Pure: time is passed in.
//
// fping -l -p P sends sequence k to a target at anchor + k·P. The anchor is estimated from replies
// (arrival − rtt − k·P, minimum over replies: pipe delays only make it later), and before the
// first reply from the prober's start plus a start-up allowance.

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

  constructor(readonly targets: string[], private readonly o: SequencerOptions, startedAt: number) {
    this.anchor = targets.map((_, j) => startedAt + o.startupMs + j * o.spacingMs);
    this.calibrated = targets.map(() => false);
    this.next = targets.map(() => 0);
    this.early = targets.map(() => new Map());
    targets.forEach((t, j) => this.index.set(t, j));
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
    if (j === undefined || seq < this.next[j]!) return [];
    const est = at - rttMs - seq * this.o.intervalMs;
    if (!this.calibrated[j] || est < this.anchor[j]!) {
      this.anchor[j] = est;
      this.calibrated[j] = true;
    }
    if (rttMs > this.o.timeoutMs) return this.due(at); // fping would not count it either
    this.early[j]!.set(seq, rttMs);
    return this.drain(j, at);
  }

  /** fping said a probe timed out (fping ≥ 5.2): resolve it now instead of at its deadline. */
  timedOut(target: string, seq: number, at: number): SeqResult[] {
    const j = this.index.get(target);
    if (j === undefined || seq < this.next[j]!) return [];
    this.early[j]!.set(seq, NaN);
    return this.drain(j, at);
  }

  /** Everything overdue at `at` (call from a timer at nextDeadline()). */
  due(at: number): SeqResult[] {
    const out: SeqResult[] = [];
    for (let j = 0; j < this.targets.length; j++) out.push(...this.drain(j, at));
    return out;
  }

  /** The earliest time at which an unresolved probe becomes overdue. */
  nextDeadline(): number {
    let min = Infinity;
    for (let j = 0; j < this.targets.length; j++) min = Math.min(min, this.deadline(j, this.next[j]!));
    return min;
  }

  private drain(j: number, at: number): SeqResult[] {
    const out: SeqResult[] = [];
    const early = this.early[j]!;
    // bounded: at most one result per elapsed interval plus what arrived early
    for (let guard = 0; guard < 10_000; guard++) {
      const seq = this.next[j]!;
      const got = early.get(seq);
      if (got !== undefined) {
        early.delete(seq);
        out.push({ target: this.targets[j]!, seq, rttMs: Number.isNaN(got) ? null : got, sentAt: this.sentAt(j, seq) });
      } else if (at >= this.deadline(j, seq)) {
        out.push({ target: this.targets[j]!, seq, rttMs: null, sentAt: this.sentAt(j, seq) });
      } else {
        break;
      }
      this.next[j] = seq + 1;
    }
    return out;
  }
}
