// Proof of life besides probe answers, for one uplink. Pure: samples come with their time.
// - Receive progress: the device's rx packet counter rose by at least RX_MIN_PACKETS within the
//   last EVIDENCE_MS. On a cut nothing arrives any more (whatever is still being sent), so rx
//   stops within one sample period; on a saturated but working line the other side's answers
//   (TCP acknowledgements, downloads) keep it rising. The floor keeps a few packets of link-local
//   chatter (ARP, router advertisements from a modem whose ISP is down) from counting.
// - Late replies: a probe answered after its deadline. A bloated queue delays every answer by
//   seconds; a dead line answers nothing.
// A one-way failure stops both: requests that never arrive are never answered, answers that are
//   dropped never arrive.

/** how far back rx progress and late replies count */
export const EVIDENCE_MS = 500;
/** fewer packets than this within EVIDENCE_MS are chatter, not traffic (20 packets/s) */
export const RX_MIN_PACKETS = 10;
/** an idle line gives no traffic to judge by: its failed probes must be this old before it is
 *  offline, so that replies delayed by an RTT spike of up to ~800 ms can still arrive */
export const IDLE_WAIT_MS = 810;
/** a busy line whose rx stands still this long is a suspect (a running flow stopped) */
export const STALL_MS = 150;
/** at most this many packets received within STALL_MS still count as standing still (chatter) */
const STALL_RX_MAX = 1;
/** in fast probing, a stall counts only while the device still sends: a flow that ended on its own
 *  (a finished download) stops sending too; one that lost its uplink keeps sending */
const STALL_TX_MIN = 4;
/** a sampler silent for longer than this proves nothing (stuck, device gone) */
const STALE_MS = 300;
/** a line that answered a probe late within this long is known to be slow (a bloated queue) */
export const SLOW_MEMORY_MS = 3000;
/** on a line known to be slow, this many packets within EVIDENCE_MS (on top of its own probes'
 *  replies) prove it alive: a slow upload's few ACKs dip under the traffic floor, and at the slow
 *  probe rate a late reply comes only once a second; a cut receives nothing at all */
export const TRICKLE_MIN = 2;
const KEEP = 32;

export class TrafficEvidence {
  private readonly at = new Float64Array(KEEP);
  private readonly rx = new Float64Array(KEEP);
  private readonly tx = new Float64Array(KEEP);
  private n = 0;
  private head = 0;
  lastLateAt = -Infinity;
  /** tx packets at the last sample (shown in status; tx alone proves nothing) */
  txPackets: number | null = null;
  /** since when every sample has shown traffic (null: not busy now) */
  busySince: number | null = null;
  /** Packets within EVIDENCE_MS that count as traffic: RX_MIN_PACKETS on top of the replies the
   *  uplink's own probes bring in at its current rate (4 targets every 200 ms alone are 20/s, as
   *  many as the floor: an idle line must not prove itself alive by its own probes). */
  minPackets = RX_MIN_PACKETS;
  /** the same for a line known to be slow (TRICKLE_MIN on top of the own replies) */
  trickleMin = TRICKLE_MIN;
  /** since when every sample has shown at least trickleMin packets (null: not now) */
  trickleSince: number | null = null;

  sample(rxPackets: number, txPackets: number, at: number): void {
    this.at[this.head] = at;
    this.rx[this.head] = rxPackets;
    this.tx[this.head] = txPackets;
    this.head = (this.head + 1) % KEEP;
    if (this.n < KEEP) this.n++;
    this.txPackets = txPackets;
    const rx = this.rxRecent(at);
    if (rx === null || rx < this.minPackets) this.busySince = null;
    else this.busySince ??= at;
    if (rx === null || rx < this.trickleMin) this.trickleSince = null;
    else this.trickleSince ??= at;
  }

  lateReply(at: number): void {
    this.lastLateAt = Math.max(this.lastLateAt, at);
  }

  /** rx packets received within the last EVIDENCE_MS before `now` (null: no fresh samples) */
  rxRecent(now: number): number | null {
    return this.rxBetween(now - EVIDENCE_MS, now);
  }

  /** rx packets received between two sample times (null: no sample near `to`) */
  rxBetween(from: number, to: number): number | null {
    return this.between(this.rx, from, to);
  }

  /** Traffic that was flowing has stopped: the line was busy until `STALL_MS` ago and has received
   *  (next to) nothing since; with `needTx`, the device also kept sending meanwhile. */
  stalled(now: number, needTx: boolean): boolean {
    const since = now - STALL_MS;
    if (!this.busyBefore(since)) return false;
    // measured from a sample at or before `since`: a late sampler (a loaded router) must not turn
    // one sample into a window that saw nothing
    const rx = this.between(this.rx, since, now, true);
    if (rx === null || rx > STALL_RX_MAX) return false;
    if (!needTx) return true;
    const tx = this.between(this.tx, since, now, true);
    return tx !== null && tx >= STALL_TX_MIN;
  }

  /** counter growth from the oldest sample at or after `from` (with `cover`: the newest at or
   *  before it) to the newest at or before `to` */
  private between(counter: Float64Array, from: number, to: number, cover = false): number | null {
    let last = -1;
    let first = -1;
    let covered = !cover;
    for (let i = 0; i < this.n; i++) {
      const k = (this.head - 1 - i + 2 * KEEP) % KEEP;
      const t = this.at[k]!;
      if (t > to) continue;
      if (last < 0) { if (to - t > STALE_MS) return null; last = k; }
      if (t < from) {
        if (cover) { first = k; covered = true; }
        break;
      }
      first = k;
    }
    if (last < 0 || first < 0 || !covered || first === last) return null;
    // a counter that went backwards (device recreated) proves nothing
    return Math.max(0, counter[last]! - counter[first]!);
  }

  /** the line carried traffic just before `t` (so silence after `t` means a cut, not an idle line) */
  busyBefore(t: number): boolean {
    const rx = this.rxBetween(t - EVIDENCE_MS, t);
    return rx !== null && rx >= this.minPackets;
  }

  /** Why the line is alive at `now`, or null when nothing says so. */
  alive(now: number): string | null {
    if (now - this.lastLateAt <= EVIDENCE_MS) return 'late replies arrive';
    const rx = this.rxRecent(now);
    if (rx !== null && rx >= this.minPackets) return `${rx} packets received in ${EVIDENCE_MS} ms`;
    if (rx !== null && rx >= this.trickleMin && now - this.lastLateAt <= SLOW_MEMORY_MS) return `slow, and ${rx} packets received in ${EVIDENCE_MS} ms`;
    return null;
  }

  clear(): void {
    this.n = 0;
    this.busySince = null;
    this.trickleSince = null;
    this.lastLateAt = -Infinity;
  }
}
