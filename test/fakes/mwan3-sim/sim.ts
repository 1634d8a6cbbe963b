// A throw-away mwan3 "router" in a temp directory: the recording executables of this folder copied
// to <dir>/bin, mwan3's tmpfs layout under <dir>/run, and fake trackers as real child processes.
// See lib.sh for the layout. Every test creates its own and calls cleanup() in a finally block.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Mwan3Paths } from '../../../src/actions/mwan3/files.ts';
import type { InterfaceConfig } from '../../../src/config/types.ts';

const here = dirname(fileURLToPath(import.meta.url));
const SCRIPTS = ['lib.sh', 'hotplug-call', 'conntrack', 'ipset', 'ubus', 'mwan3track', 'ping'];

export interface CallRecord {
  cmd: string;
  argv?: string[];
  envKeys?: string[];
  ACTION?: string;
  INTERFACE?: string;
  DEVICE?: string;
  FIRSTCONNECT?: string;
  trackerStatus?: string;
  ifaceStateBefore?: string;
  stdin?: string;
  event?: string;
  iface?: string;
  pid?: number;
  statusBefore?: string;
  statusRead?: string;
  /** pid that ran hotplug-call (a tracker's pid for its own events) */
  sender?: number;
}

/** mwan3track's own settings for a fake tracker (the real option names, as SIM_* variables). */
export interface TrackerOpts {
  targets?: number;
  reliability?: number;
  timeout?: number;
  interval?: number;
  down?: number;
  up?: number;
  initialState?: 'online' | 'offline';
}

/** Polls `cond` every 20 ms until it holds; bounded by count and time. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < Math.ceil(timeoutMs / 20) + 1; i++) {
    if (cond()) return;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export function iface(name: string, device: string, id: number, family: 'ipv4' | 'ipv6' = 'ipv4'): InterfaceConfig {
  return {
    name, device, deviceKnown: true, family, trackIps: ['192.0.2.1'], mwan3Id: id, mark: id << 8,
    weight: 1, metric: 1,
    health: {
      intervalMs: 200, timeoutMs: 500, down: 3, up: 3, reliability: 1, windowRounds: 20, checkQuality: false,
      failureLatencyMs: 1000, recoveryLatencyMs: 500, failureLossPct: 40, recoveryLossPct: 10,
      degradedFailover: false, trafficEvidence: true, flapWindowMs: 60_000, maxHoldMs: 300_000,
    },
  };
}

export class Mwan3Sim {
  readonly dir: string;
  readonly paths: Mwan3Paths;
  private readonly trackers: ChildProcess[] = [];
  private readonly trackerPids = new Set<number>();

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), `wanpulse-mwan3sim-${process.pid}-`));
    mkdirSync(join(this.dir, 'bin'));
    for (const s of SCRIPTS) {
      copyFileSync(join(here, s), join(this.dir, 'bin', s));
      chmodSync(join(this.dir, 'bin', s), 0o755);
    }
    for (const d of ['run/mwan3/iface_state', 'run/mwan3track', 'state/ipset', 'state/procd']) mkdirSync(join(this.dir, d), { recursive: true });
    writeFileSync(join(this.dir, 'calls.jsonl'), '');
    this.paths = {
      trackDir: join(this.dir, 'run/mwan3track'),
      mwan3RunDir: join(this.dir, 'run/mwan3'),
      hotplugCall: join(this.dir, 'bin/hotplug-call'),
      conntrack: join(this.dir, 'bin/conntrack'),
      ipset: join(this.dir, 'bin/ipset'),
      ubus: join(this.dir, 'bin/ubus'),
      procDir: '/proc',
    };
  }

  calls(): CallRecord[] {
    return readFileSync(join(this.dir, 'calls.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as CallRecord);
  }

  /** forget what was recorded so far (e.g. the setup's own events) */
  clearCalls(): void {
    writeFileSync(join(this.dir, 'calls.jsonl'), '');
  }

  /** Compact, readable trace: `hotplug disconnected wan`, `tracker USR1 wan`, `conntrack -D …`. */
  trace(): string[] {
    return this.calls().map((c) => {
      if (c.cmd === 'hotplug-call' && this.trackerPids.has(c.sender ?? 0)) return `tracker-hotplug ${c.ACTION}${c.FIRSTCONNECT ? ' FIRSTCONNECT' : ''} ${c.INTERFACE}`;
      if (c.cmd === 'hotplug-call') return `hotplug ${c.ACTION}${c.FIRSTCONNECT ? ' FIRSTCONNECT' : ''} ${c.INTERFACE}`;
      if (c.cmd === 'tracker') return `tracker ${c.event} ${c.iface}`;
      return `${c.cmd} ${(c.argv ?? []).slice(1).join(' ')}`;
    });
  }

  /** Starts a fake tracker; default settings answer fast (1 target, timeout 1 s, interval 1 s). */
  async startTracker(name: string, device: string, version: '2.11' | '2.12' = '2.12', o: TrackerOpts = {}): Promise<number> {
    const before = this.calls().length;
    this.remove(`run/mwan3track/${name}/TURN`);
    const env: Record<string, string> = { ...process.env as Record<string, string> };
    const set = (k: string, v: number | string | undefined) => { if (v !== undefined) env[k] = String(v); };
    set('SIM_TARGETS', o.targets); set('SIM_RELIABILITY', o.reliability); set('SIM_TIMEOUT', o.timeout);
    set('SIM_INTERVAL', o.interval); set('SIM_DOWN', o.down); set('SIM_UP', o.up); set('SIM_INITIAL', o.initialState);
    const child = spawn(join(this.dir, 'bin/mwan3track'), [name, device, version], { stdio: 'ignore', env });
    this.trackers.push(child);
    const pid = child.pid!;
    this.trackerPids.add(pid);
    // ready once it fired its FIRSTCONNECT event and finished its first round (it sleeps now)
    await waitFor(() => this.calls().slice(before).some((c) => c.cmd === 'hotplug-call' && c.INTERFACE === name && c.FIRSTCONNECT === '1'), `tracker ${name} to start`);
    await waitFor(() => this.read(`run/mwan3track/${name}/TURN`) !== null, `tracker ${name} to end its first round`, 5000);
    return pid;
  }

  async stopTracker(pid: number): Promise<void> {
    const child = this.trackers.find((c) => c.pid === pid);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
  }

  alive(pid: number): boolean {
    try { process.kill(pid, 0); return true; } catch { return false; }
  }

  read(rel: string): string | null {
    const p = join(this.dir, rel);
    return existsSync(p) ? readFileSync(p, 'utf8').trim() : null;
  }

  write(rel: string, text: string): void {
    mkdirSync(dirname(join(this.dir, rel)), { recursive: true });
    writeFileSync(join(this.dir, rel), text);
  }

  remove(rel: string): void {
    rmSync(join(this.dir, rel), { recursive: true, force: true });
  }

  /** cut (`down`) or restore (`up`) the line the fake tracker's probes see */
  line(name: string, state: 'up' | 'down'): void { this.write(`state/line-${name}`, `${state}\n`); }

  /** hotplug events a tracker sent itself, as `ACTION[ FIRSTCONNECT]` */
  trackerEvents(name: string): string[] {
    return this.calls().filter((c) => c.cmd === 'hotplug-call' && c.INTERFACE === name && this.trackerPids.has(c.sender ?? 0))
      .map((c) => `${c.ACTION}${c.FIRSTCONNECT ? ' FIRSTCONNECT' : ''}`);
  }

  /** hotplug events wanpulse (this process) sent */
  ourEvents(name: string): string[] {
    return this.calls().filter((c) => c.cmd === 'hotplug-call' && c.INTERFACE === name && c.sender === process.pid).map((c) => c.ACTION ?? '');
  }

  status(name: string): string | null { return this.read(`run/mwan3track/${name}/STATUS`); }
  ifaceState(name: string): string | null { return this.read(`run/mwan3/iface_state/${name}`); }

  setFlows(lines: string[]): void { this.write('state/conntrack', lines.map((l) => l + '\n').join('')); }
  flows(): string[] { return (this.read('state/conntrack') ?? '').split('\n').filter(Boolean); }
  setSticky(set: string, members: string[]): void { this.write(`state/ipset/${set}`, members.map((m) => m + '\n').join('')); }
  sticky(set: string): string[] { return (this.read(`state/ipset/${set}`) ?? '').split('\n').filter(Boolean); }

  async cleanup(): Promise<void> {
    for (const t of this.trackers) {
      if (t.exitCode === null && t.signalCode === null) {
        const exited = new Promise((r) => t.once('exit', r));
        t.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 1000))]);
        if (t.exitCode === null && t.signalCode === null) t.kill('SIGKILL');
      }
    }
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  }
}
