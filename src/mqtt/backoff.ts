// Reconnect policy: jittered exponential backoff between connection attempts, with a low cap
// while the broker cannot be reached at all.
//
// Why two caps: a broker that refuses us, or closes the connection, is up and busy with us;
// every attempt costs it a TLS and MQTT handshake, so retries back off to maxMs (30 s). A broker
// that is not there (connection refused, no route, timeout) costs nothing to ask again: the
// attempt is one TCP SYN answered by a RST (or nothing), the handshake only starts once it
// connects. Those retries stay at most unreachableMaxMs (2 s) apart, so a broker that comes back
// is seen within about 2 s instead of up to 30 s (docs/mqtt.md).
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** the cap while the broker is unreachable */
  unreachableMaxMs: number;
  random: () => number;
}

export interface Backoff {
  /** the delay before the next attempt; each call counts one more failure */
  next(unreachable?: boolean): number;
  /** a connection stayed up: start again from the initial delay */
  reset(): void;
}

export const UNREACHABLE_MAX_MS = 2_000;

export function createBackoff(o: BackoffOptions): Backoff {
  let failures = 0;
  return {
    next(unreachable = false) {
      const cap = unreachable ? Math.min(o.maxMs, o.unreachableMaxMs) : o.maxMs;
      const base = Math.min(cap, o.initialMs * 2 ** Math.min(failures, 16));
      failures++;
      return Math.round(base * (0.5 + o.random() * 0.5));
    },
    reset() { failures = 0; },
  };
}
