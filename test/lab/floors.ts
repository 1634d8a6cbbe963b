// Floors: what an ideal tracker with the daemon's settings could reach in each scenario, so the
// bench can print every figure beside the best it could be. They read the lab's probe settings
// (LabHealth) and the daemon's own constants; the arithmetic is explained in docs/lab.md.
import { EVIDENCE_MS, IDLE_WAIT_MS, STALL_MS } from '../../src/core/evidence.ts';
import { CONFIRM_MIN_MS, CONFIRM_PROBES } from '../../src/core/uplink.ts';
import { FPING_OVERHEAD_MS, FPING_SPACING_MS } from '../../src/config/feasibility.ts';
import { SAMPLE_MS } from '../../src/evidence/counters.ts';
import type { LabHealth } from './daemon.ts';

export interface Range { min: number; median: number; max: number }

// ==== active-flow fast path (issue 11, goal 1; src/core/uplink.ts, src/probes/confirm.ts) ======
// A running flow whose rx stops makes the uplink a suspect STALL_MS after its last packet (judged
// at counter samples, every SAMPLE_MS, from a sample at or before the start of the window);
// CONFIRM_PROBES rounds of quick probes 25 ms apart (two targets 10 ms apart) each wait
// CONFIRM_MIN_MS on a fast line, and the last verdict ends the confirmation; the route then
// changes within SWITCH_MS (goal 2: decision → route ≤ 20 ms p95).
export const ACTIVE_STALL_MS = STALL_MS;
export const CONFIRM_MS = (CONFIRM_PROBES - 1) * 25 + FPING_SPACING_MS + CONFIRM_MIN_MS;
export const SWITCH_MS = 20;
/** `wanpulse setup` tracks the uplink router's tunnel address and the two public targets */
export const LAB_TARGETS = 3;
// ===============================================================================================

/** the lab's UDP stream sends every this many ms (test/lab/traffic.ts) */
export const STREAM_INTERVAL_MS = 10;

const range = (min: number, max: number): Range => ({ min, median: (min + max) / 2, max });
const plus = (r: Range, lo: number, hi = lo): Range => range(r.min + lo, r.max + hi);

/** Probes alone: the fault lands at a random phase, so the down-th lost probe's timeout expires
 *  (down−1)·interval + timeout to down·interval + timeout after the fault. */
export function probeDetect(h: LabHealth): Range {
  const d0 = (h.down - 1) * h.intervalMs + h.timeoutMs;
  return range(d0, d0 + h.intervalMs);
}

/** Recovery needs `up` good rounds: (up−1)·interval to up·interval after the restore. */
export function recovery(h: LabHealth): Range {
  const r0 = (h.up - 1) * h.intervalMs;
  return range(r0, r0 + h.intervalMs);
}

/** An idle uplink with traffic evidence: fping spreads the targets over the interval, so the
 *  first probe after the cut leaves 0 to interval/targets later; the uplink is offline when that
 *  probe is IDLE_WAIT_MS old (the daemon wakes the core then) and at least down − 1 rounds failed,
 *  or at the down-th failed round if that is later. */
export function idleDetect(h: LabHealth, targets = LAB_TARGETS): Range {
  const spacing = Math.max(FPING_SPACING_MS, Math.floor((h.intervalMs - FPING_OVERHEAD_MS) / targets));
  const rounds = (h.down - 2) * h.intervalMs + h.timeoutMs + (targets - 1) * spacing;
  const wait = Math.max(rounds, IDLE_WAIT_MS);
  return range(wait, wait + spacing);
}

/** A busy uplink with the active-flow fast path: rx stops at the cut, the stall is seen at the
 *  first sample at least ACTIVE_STALL_MS after it (0 to SAMPLE_MS late), fast probes confirm. */
export function activeDetect(): Range {
  return range(ACTIVE_STALL_MS + CONFIRM_MS, ACTIVE_STALL_MS + SAMPLE_MS + CONFIRM_MS);
}

/** A cut of an uplink that is already degraded (probes late behind a full queue, alive by its
 *  late replies and its ACKs): after the cut nothing comes in; the late-reply evidence expires
 *  EVIDENCE_MS after the last reply, which came 0 to one interval before the cut (a round's
 *  replies arrive together), and is seen at the next sample. The ACKs' rx evidence ends sooner
 *  (fewer than RX_MIN_PACKETS in the window) at the upload's ACK rate. */
export function degradedDetect(h: LabHealth): Range {
  return range(EVIDENCE_MS - h.intervalMs, EVIDENCE_MS + SAMPLE_MS);
}

/** The 10 ms stream's longest silence: until the decision, the route change, then its next
 *  datagram (0 to one stream interval later). */
export function outage(detect: Range): Range {
  return plus(detect, SWITCH_MS, SWITCH_MS + STREAM_INTERVAL_MS);
}

export type Profile = 'evidence' | 'baseline';

/** The floors of a failover scenario's figures for one profile. */
export interface FailoverFloors { detect: Range; switchover: Range; outage: Range; recovery: Range }

export function failoverFloors(h: LabHealth, profile: Profile, traffic: 'idle' | 'busy' | 'saturated'): FailoverFloors {
  const detect = profile === 'baseline' ? probeDetect(h)
    : traffic === 'idle' ? idleDetect(h) : traffic === 'saturated' ? degradedDetect(h) : activeDetect();
  return { detect, switchover: plus(detect, 0, SWITCH_MS), outage: outage(detect), recovery: recovery(h) };
}

