// Traffic through the lab: a sink in `inet`, a client in `lan` (agents/*.mjs, plain Node so they
// start fast), and what the client reports, mapped from source addresses to uplink names.
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ADDR, type Lab } from './topology.ts';
import { inNs, must, run, sleep } from './sh.ts';

const AGENTS = fileURLToPath(new URL('./agents/', import.meta.url));

export interface ClientOptions {
  stream?: boolean;
  streamIntervalMs?: number;
  /** wanpulse interface name the stream should start on */
  streamOn?: 'wg1' | 'wg2';
  udpFlows?: number;
  tcpFlows?: number;
  long?: boolean;
  longOn?: 'wg1' | 'wg2';
  /** a TCP flow without replies for this long opens a new connection */
  stallMs?: number;
  gapMs?: number;
  reportMs?: number;
  /** a TCP upload of uploadKbit kbit/s (default 3000) to the sink, started on uploadOn */
  upload?: boolean;
  uploadOn?: 'wg1' | 'wg2';
  uploadKbit?: number;
}

/** the sink's ports: UDP echo, TCP line echo, upload (discard, with progress lines) */
export const SINK_PORTS = { udp: 5001, tcp: 5002, upload: 5003 } as const;

export type TrafficEvent =
  | { ev: 'via'; flow: string; uplink: string; from: string | null; at: number }
  | { ev: 'gap'; flow: string; gapMs: number; from: number; to: number }
  | { ev: 'reconnect'; flow: string; reason: string; at: number }
  /** bytes of the upload the sink had received, as its latest progress line said */
  | { ev: 'upload'; flow: string; uplink: string; bytes: number; at: number }
  | { ev: 'summary'; at: number; flows: Record<string, { uplink: string | null; recv: number; sent: number; silentMs: number | null }> };

export async function startSink(lab: Lab): Promise<ChildProcess> {
  let ready!: () => void;
  const up = new Promise<void>((r) => { ready = r; });
  const child = lab.procs.start('sink', inNs(lab.ns.inet, [process.execPath, AGENTS + 'sink.mjs', ADDR.sink, String(SINK_PORTS.udp), String(SINK_PORTS.tcp), String(SINK_PORTS.upload)]), {
    onLine: (line) => { if (line.includes('"ready"')) ready(); },
  });
  const exited = new Promise<void>((_, rej) => child.once('exit', () => rej(new Error('traffic sink exited'))));
  await Promise.race([up, exited, sleep(5000).then(() => { throw new Error('traffic sink did not start'); })]);
  return child;
}

/** A running client and everything it reported. */
export class TrafficClient {
  readonly events: TrafficEvent[] = [];
  /** flow → uplink name it currently uses */
  readonly current = new Map<string, string>();
  private listeners: ((e: TrafficEvent) => void)[] = [];

  constructor(readonly child: ChildProcess) {}

  onEvent(fn: (e: TrafficEvent) => void): void {
    this.listeners.push(fn);
  }

  /** @internal */
  push(e: TrafficEvent): void {
    this.events.push(e);
    if (e.ev === 'via') this.current.set(e.flow, e.uplink);
    for (const fn of this.listeners) fn(e);
  }

  /** uplink name → number of flows using it */
  flowsPerUplink(): Record<string, number> {
    const n: Record<string, number> = {};
    for (const u of this.current.values()) n[u] = (n[u] ?? 0) + 1;
    return n;
  }

  /** The latest summary: flows that got replies in its period, by uplink. */
  lastSummary(): Extract<TrafficEvent, { ev: 'summary' }> | undefined {
    for (let i = this.events.length - 1; i >= 0; i--) {
      const e = this.events[i]!;
      if (e.ev === 'summary') return e;
    }
    return undefined;
  }

  /** Longest gap of a flow whose silence overlaps [fromMs, toMs]. */
  longestGap(flow: string, fromMs: number, toMs = Infinity): number {
    let max = 0;
    for (const e of this.events) if (e.ev === 'gap' && e.flow === flow && e.to >= fromMs && e.from <= toMs) max = Math.max(max, e.gapMs);
    return max;
  }

  /** Resolves with the first event (already seen after `sinceMs`, or future) matching `pred`. */
  async waitFor(pred: (e: TrafficEvent) => boolean, timeoutMs: number, sinceMs = 0): Promise<TrafficEvent | null> {
    const at = (e: TrafficEvent) => (e.ev === 'gap' ? e.to : e.at);
    const seen = this.events.find((e) => at(e) >= sinceMs && pred(e));
    if (seen) return seen;
    return new Promise((resolve) => {
      const timer = setTimeout(() => { done(null); }, timeoutMs);
      const fn = (e: TrafficEvent) => { if (pred(e)) done(e); };
      const done = (e: TrafficEvent | null) => {
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== fn);
        resolve(e);
      };
      this.listeners.push(fn);
    });
  }
}

export function uplinkOfAddress(lab: Lab, addr: string | null): string | null {
  if (addr === null) return null;
  return lab.uplinks.find((u) => u.publicIp === addr)?.name ?? addr;
}

export async function startClient(lab: Lab, opts: ClientOptions): Promise<TrafficClient> {
  const viaOf = (name?: 'wg1' | 'wg2') => (name ? lab.uplinks.find((u) => u.name === name)!.publicIp : null);
  const args = {
    sink: ADDR.sink, stream: opts.stream ?? true, streamIntervalMs: opts.streamIntervalMs ?? 10,
    streamVia: viaOf(opts.streamOn), udpFlows: opts.udpFlows ?? 0, tcpFlows: opts.tcpFlows ?? 0,
    long: opts.long ?? false, longVia: viaOf(opts.longOn), stallMs: opts.stallMs ?? 1000,
    gapMs: opts.gapMs ?? 50, reportMs: opts.reportMs ?? 1000,
    upload: opts.upload ?? false, uploadVia: viaOf(opts.uploadOn), uploadKbit: opts.uploadKbit ?? 3000, uploadPort: SINK_PORTS.upload,
  };
  // Bufferbloat is what a loss-based congestion control (cubic, Linux's default; Windows' and
  // macOS' are alike) does to a deep queue: it fills it until a drop. This machine may default
  // to bbr, which keeps the queue short, and a namespace cannot change its default, so the
  // client's default route says cubic (a route's `congctl` is used by the TCP sockets it carries).
  // The kernel remembers a destination's last ssthresh (tcp_metrics): an upload after a cut would
  // start from what the cut left and fill the queue slowly, so each upload starts afresh.
  if (args.upload) {
    await must(['ip', '-n', lab.ns.lan, 'route', 'replace', 'default', 'via', ADDR.lanGateway, 'congctl', 'cubic']);
    await run(['ip', '-n', lab.ns.lan, 'tcp_metrics', 'flush', 'all']);
  }
  let client!: TrafficClient;
  const child = lab.procs.start('client', inNs(lab.ns.lan, [process.execPath, AGENTS + 'client.mjs', JSON.stringify(args)]), { onLine: (line, stream) => {
    if (stream !== 'stdout') return;
    let raw: Record<string, unknown>;
    try { raw = JSON.parse(line) as Record<string, unknown>; } catch { return; }
    if (raw.ev === 'via') client.push({ ev: 'via', flow: String(raw.flow), uplink: uplinkOfAddress(lab, raw.via as string)!, from: uplinkOfAddress(lab, raw.from as string | null), at: Number(raw.at) });
    else if (raw.ev === 'upload') client.push({ ev: 'upload', flow: String(raw.flow), uplink: uplinkOfAddress(lab, raw.via as string)!, bytes: Number(raw.bytes), at: Number(raw.at) });
    else if (raw.ev === 'gap') client.push(raw as unknown as TrafficEvent);
    else if (raw.ev === 'reconnect' && raw.reason !== 'choosing uplink' && raw.reason !== 'start') client.push(raw as unknown as TrafficEvent);
    else if (raw.ev === 'summary') {
      const flows: Extract<TrafficEvent, { ev: 'summary' }>['flows'] = {};
      for (const [k, v] of Object.entries(raw.flows as Record<string, { via: string | null; recv: number; sent: number; silentMs: number | null }>)) {
        flows[k] = { uplink: uplinkOfAddress(lab, v.via), recv: v.recv, sent: v.sent, silentMs: v.silentMs };
      }
      client.push({ ev: 'summary', at: Number(raw.at), flows });
    }
  } });
  client = new TrafficClient(child);
  return client;
}

/** Transmitted packets per tunnel device in main, from the kernel's counters. */
export async function tunnelTxPackets(lab: Lab): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const up of lab.uplinks) {
    const r = await run(['ip', '-n', lab.ns.main, '-s', '-j', 'link', 'show', 'dev', up.mainDev]);
    try { out[up.name] = (JSON.parse(r.stdout) as { stats64: { tx: { packets: number } } }[])[0]!.stats64.tx.packets; } catch { out[up.name] = 0; }
  }
  return out;
}
