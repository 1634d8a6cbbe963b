// A fixed-size sliding window of probe results for one target: RTT mean, jitter and loss over the
// last N rounds. A ring buffer of numbers (NaN = lost): no allocation per probe.

export class ResultWindow {
  private readonly rtts: Float64Array;
  private next = 0;
  private count = 0;

  constructor(readonly size: number) {
    this.rtts = new Float64Array(size);
  }

  /** rttMs = null for a lost probe */
  push(rttMs: number | null): void {
    this.rtts[this.next] = rttMs === null ? NaN : rttMs;
    this.next = (this.next + 1) % this.size;
    if (this.count < this.size) this.count++;
  }

  get length(): number { return this.count; }

  clear(): void { this.next = 0; this.count = 0; }

  /** oldest → newest */
  private at(i: number): number {
    return this.rtts[(this.next - this.count + i + this.size) % this.size]!;
  }

  lossPct(): number | null {
    if (this.count === 0) return null;
    let lost = 0;
    for (let i = 0; i < this.count; i++) if (Number.isNaN(this.at(i))) lost++;
    return (lost * 100) / this.count;
  }

  meanRttMs(): number | null {
    let sum = 0;
    let n = 0;
    for (let i = 0; i < this.count; i++) {
      const v = this.at(i);
      if (!Number.isNaN(v)) { sum += v; n++; }
    }
    return n === 0 ? null : sum / n;
  }

  /** mean absolute difference of consecutive answered RTTs (RFC 3550 style, unsmoothed) */
  jitterMs(): number | null {
    let prev = NaN;
    let sum = 0;
    let n = 0;
    for (let i = 0; i < this.count; i++) {
      const v = this.at(i);
      if (Number.isNaN(v)) continue;
      if (!Number.isNaN(prev)) { sum += Math.abs(v - prev); n++; }
      prev = v;
    }
    return n === 0 ? null : sum / n;
  }

  /** the newest result: true = answered, false = lost, null = empty */
  lastUp(): boolean | null {
    if (this.count === 0) return null;
    return !Number.isNaN(this.at(this.count - 1));
  }

  lastRttMs(): number | null {
    if (this.count === 0) return null;
    const v = this.at(this.count - 1);
    return Number.isNaN(v) ? null : v;
  }
}
