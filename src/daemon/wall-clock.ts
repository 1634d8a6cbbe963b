// Wall time of the core's monotonic timestamps, for the status file and MQTT.
import type { Clock } from '../platform/ports.ts';

export class WallClock {
  private offset: number | null = null;

  constructor(private readonly clock: Clock) {}

  /** The offset is kept while it agrees with the clocks to within a second (so `since` does not
   *  jitter between snapshots) and renewed when the wall clock jumped (NTP on a router without a
   *  real-time clock). */
  toWall(mono: number): number {
    const offset = this.clock.wallMs() - this.clock.nowMs();
    if (this.offset === null || Math.abs(offset - this.offset) > 1000) this.offset = offset;
    return this.offset + mono;
  }
}
