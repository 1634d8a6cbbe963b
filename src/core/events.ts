// Events into the core (past tense) and actions out of it (imperative). Every event carries its
// own monotonic timestamp `at` (ms); the core never reads a clock.

export type CoreEvent =
  /** one target's result for one probe sequence number (lost = ok false, rttMs null) */
  | { kind: 'probeResult'; iface: string; target: string; seq: number; ok: boolean; rttMs: number | null; sentAt: number; at: number }
  /** a (re)started prober: its sequence numbers begin again at 0 */
  | { kind: 'proberStarted'; iface: string; at: number }
  /** the prober is gone (exited, could not start); results stop until proberStarted */
  | { kind: 'proberDied'; iface: string; reason: string; at: number }
  /** the uplink device's packet counters, read every ~100 ms (src/evidence/) */
  | { kind: 'counterSample'; iface: string; rxPackets: number; txPackets: number; at: number }
  /** the quick probes of a `confirm` action are done: how many targets answered (null: they could
   *  not be sent) */
  | { kind: 'confirmed'; iface: string; answered: number | null; at: number }
  /** a reply over the timeout, after its probe's (lost) probeResult: the line is slow, not dead;
   *  `seq` is the probe's sequence number, as in probeResult */
  | { kind: 'lateReply'; iface: string; target: string; seq: number; rttMs: number; at: number }
  /** the time an uplink asked for (Uplink.wakeAt: an idle line's wait for late replies is over) */
  | { kind: 'wake'; iface: string; at: number }
  /** periodic: lets time-based rules (hand-back of long-unknown interfaces, retries) run */
  | { kind: 'ticked'; at: number }
  /** a backend finished a switchover */
  | { kind: 'switchFinished'; iface: string; direction: 'down' | 'up'; ok: boolean; error?: string; at: number }
  /** mwan3's own tracker holds these interfaces offline (authoritative) */
  | { kind: 'mwan3Reported'; offline: string[]; at: number };

export type CoreAction =
  /** take the interface out of rotation (backend.takeDown) */
  | { kind: 'takeDown'; iface: string; reason: string; at: number }
  /** put it back / hand it back to mwan3 (backend.bringUp) */
  | { kind: 'bringUp'; iface: string; reason: string; at: number }
  /** a user-visible state change: log it, publish it */
  | { kind: 'announce'; iface: string; from: UplinkStateName; to: UplinkStateName; reason: string; detectMs: number | null; at: number }
  /** probe at this rate from now on (restart the prober with another period) */
  | { kind: 'probeRate'; iface: string; rate: ProbeRate; at: number }
  /** a running flow stopped: send a few quick probes, each waiting `waitMs`, and report `confirmed` */
  | { kind: 'confirm'; iface: string; waitMs: number; at: number }
  /** wanpulse deliberately does not act on a dead interface (and why) */
  | { kind: 'holdBack'; iface: string; reason: string; at: number };

/** fast: every interval_ms; slow: one probe per second per uplink, while its own traffic flows */
export type ProbeRate = 'fast' | 'slow';

export type UplinkStateName = 'online' | 'degraded' | 'offline' | 'unknown';
