// Shared set-up of the MQTT tests against a real Mosquitto: one broker per test file (null when
// mosquitto is not installed: the tests then skip and say so), cleanups after each test, and a
// bounded wait for a condition.
import type { Test } from 'uvu';
import { haveMosquitto, startMosquitto } from '../net/mosquitto.ts';
import type { Mosquitto } from '../net/mosquitto.ts';

export interface NetSuite {
  broker(): Mosquitto | null;
  /** run (in reverse order) after each test */
  cleanups: (() => unknown)[];
}

export function mosquittoSuite(test: Test): NetSuite {
  let broker: Mosquitto | null = null;
  const cleanups: (() => unknown)[] = [];
  test.before(async () => {
    if (!haveMosquitto()) { console.log('SKIP: mosquitto not installed (the MQTT tests of this file skip)'); return; }
    broker = await startMosquitto();
  });
  test.after.each(async () => {
    for (const c of cleanups.splice(0).reverse()) { try { await c(); } catch { /* best effort */ } }
  });
  test.after(async () => { await broker?.stop(); });
  return { broker: () => broker, cleanups };
}

export async function until(cond: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
