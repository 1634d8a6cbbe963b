// MQTT keepalive: a PINGREQ after every keepalive interval, and a deadline for the answer. Any
// packet from the broker counts as an answer (alive()).
import type { Clock, TimerHandle } from '../platform/ports.ts';

export interface Keepalive {
  start(): void;
  /** a packet arrived: the connection is alive */
  alive(): void;
  stop(): void;
}

export interface KeepaliveHooks {
  sendPing(): void;
  /** no packet within timeoutMs of a ping */
  onTimeout(timeoutMs: number): void;
}

export function pingTimeoutMs(keepaliveMs: number): number {
  return Math.min(Math.max(keepaliveMs / 2, 1_000), 10_000);
}

export function createKeepalive(clock: Clock, keepaliveMs: number, hooks: KeepaliveHooks): Keepalive {
  const timeoutMs = pingTimeoutMs(keepaliveMs);
  let ping: TimerHandle | null = null;
  let deadline: TimerHandle | null = null;
  let running = false;

  function clearDeadline(): void {
    if (deadline) clock.clearTimer(deadline);
    deadline = null;
  }

  function arm(): void {
    if (keepaliveMs <= 0) return;
    if (ping) clock.clearTimer(ping);
    ping = clock.setTimer(keepaliveMs, () => {
      ping = null;
      if (!running) return;
      arm();
      // Armed before sending: an answer may arrive before sendPing() returns.
      if (!deadline) {
        deadline = clock.setTimer(timeoutMs, () => {
          deadline = null;
          hooks.onTimeout(timeoutMs);
        });
      }
      hooks.sendPing();
    });
  }

  return {
    start() { running = true; arm(); },
    alive: clearDeadline,
    stop() {
      running = false;
      if (ping) clock.clearTimer(ping);
      ping = null;
      clearDeadline();
    },
  };
}
