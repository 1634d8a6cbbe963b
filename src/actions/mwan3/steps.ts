// The single steps the mwan3 backend's sequences are made of: step timing and results, the
// hotplug event (exactly as mwan3track sends it), and small helpers that never throw.
import type { SwitchResult } from '../backend.ts';
import { lastLine } from '../../platform/lines.ts';
import type { Clock, Spawner } from '../../platform/ports.ts';
import type { StepTiming } from '../../status/model.ts';

const HOTPLUG_TIMEOUT_MS = 60_000; // 15-mwan3 waits for mwan3's procd lock; slow MIPS boxes take seconds

export class Steps {
  readonly list: StepTiming[] = [];
  readonly errors: string[] = [];
  /** the routing change this call is about happened (even if a later step failed) */
  applied = false;
  /** monotonic time of that change (the hotplug event done) */
  routedAt: number | undefined;
  constructor(private readonly clock: Clock, private readonly startMs: number) {}
  done(step: string, error?: string): void {
    this.list.push({ step, ms: Math.round(this.clock.nowMs() - this.startMs) });
    if (error) this.errors.push(`${step}: ${error}`);
  }
  /** the routing change happened now */
  routed(): void {
    this.applied = true;
    this.routedAt ??= this.clock.nowMs();
  }
  result(): SwitchResult {
    const routedAt = this.routedAt === undefined ? {} : { routedAt: this.routedAt };
    return this.errors.length
      ? { ok: false, applied: this.applied, steps: this.list, error: this.errors.join('; '), ...routedAt }
      : { ok: true, applied: this.applied, steps: this.list, ...routedAt };
  }
}

export const fmtSteps = (steps: StepTiming[]): string => steps.map((s) => `${s.step} ${s.ms}ms`).join(', ');

/** Runs `fn`; its error message, or undefined when it worked. */
export async function attempt(fn: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await fn();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Checks hotplug-call beside other work, so that the hotplug() right after it starts at once. */
export async function prepareHotplug(spawner: Spawner, hotplugCall: string): Promise<void> {
  // the environment hotplug() runs it with: no PATH (env -i)
  await spawner.prepare?.(hotplugCall, { env: {} });
}

/** `env -i ACTION=… INTERFACE=… DEVICE=… /sbin/hotplug-call iface`, as mwan3track runs it
 *  (never FIRSTCONNECT, which 15-mwan3 ignores). Its error text, or undefined when it worked.
 *  `onStarted`: the process is running (its program checked and started). */
export async function hotplug(spawner: Spawner, hotplugCall: string, action: 'connected' | 'disconnected', name: string, device: string, onStarted?: () => void): Promise<string | undefined> {
  try {
    const res = await spawner.run([hotplugCall, 'iface'], {
      env: { ACTION: action, INTERFACE: name, DEVICE: device },
      timeoutMs: HOTPLUG_TIMEOUT_MS,
      onStarted,
    });
    if (res.code === 0) return undefined;
    const detail = lastLine(res.stderr);
    return `${hotplugCall} iface (${action}) failed: ${res.signal ? `killed by ${res.signal}` : `exit ${res.code}`}${detail ? `: ${detail}` : ''}`;
  } catch (e) {
    const err = e as Error & { code?: string };
    return err.code === 'ENOENT'
      ? `${hotplugCall} not found: mwan3 cannot be switched (is this OpenWrt with mwan3 installed?)`
      : `${hotplugCall}: ${err.message}`;
  }
}
