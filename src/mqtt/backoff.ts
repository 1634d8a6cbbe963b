// Reconnect policy: jittered exponential backoff between connection attempts.
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  random: () => number;
}

export interface Backoff {
  /** the delay before the next attempt; each call counts one more failure */
  next(): number;
  /** a connection stayed up: start again from the initial delay */
  reset(): void;
}

export function createBackoff(o: BackoffOptions): Backoff {
  let failures = 0;
  return {
    next() {
      const base = Math.min(o.maxMs, o.initialMs * 2 ** Math.min(failures, 16));
      failures++;
      return Math.round(base * (0.5 + o.random() * 0.5));
    },
    reset() { failures = 0; },
  };
}
