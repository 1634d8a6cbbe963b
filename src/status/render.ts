// `wanpulse status`: the status file as a table a person reads at a glance.
import type { StatusSnapshot, UplinkStatus } from './model.ts';

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s}s`;
  if (s < 5400) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)}h`;
  return `${Math.round(s / 86400)}d`;
}

const num = (v: number | null, unit: string) => (v === null ? '-' : `${v.toFixed(1)}${unit}`);

function pad(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ').trimEnd()).join('\n');
}

function switchLine(u: UplinkStatus, now: number): string | null {
  const s = u.lastSwitch;
  if (!s) return null;
  const steps = s.steps.map((x) => `${x.step} ${x.ms.toFixed(0)}ms`).join(', ');
  const routed = s.routeMs === undefined ? '' : `, routing changed after ${s.routeMs.toFixed(0)} ms`;
  return `    last switch: ${s.direction} ${ago(now - s.at)} ago, ${s.ok ? 'ok' : `FAILED (${s.error ?? 'unknown error'})`} in ${s.totalMs.toFixed(0)} ms${routed}${steps ? ` [${steps}]` : ''}`;
}

export function renderStatus(snap: StatusSnapshot, now: number): string {
  const head = `wanpulse ${snap.version} (pid ${snap.pid}), backend ${snap.backend}, up ${ago(now - snap.startedAt)}, updated ${ago(now - snap.updatedAt)} ago`;
  const stale = now - snap.updatedAt > 10_000 ? '\nWARNING: the status file is stale: is the daemon running? (service wanpulse status)' : '';
  if (snap.uplinks.length === 0) return `${head}${stale}\nno tracked interfaces`;
  const rows: string[][] = [['IFACE', 'STATE', 'SINCE', 'RTT', 'JITTER', 'LOSS', 'OWNER', 'REASON']];
  const details: string[] = [];
  for (const u of snap.uplinks) {
    rows.push([u.iface, u.state, ago(now - u.since), num(u.rttMs, 'ms'), num(u.jitterMs, 'ms'), num(u.lossPct, '%'), u.owner, u.reason]);
  }
  for (const u of snap.uplinks) {
    const targets = u.targets.map((t) => `${t.ip} ${t.up === null ? '?' : t.up ? 'up' : 'DOWN'} ${num(t.rttMs, 'ms')} loss ${num(t.lossPct, '%')}`).join('; ');
    details.push(`  ${u.iface} (${u.device}, ${u.family}): ${targets}${u.flaps ? `; flaps ${u.flaps}` : ''}${u.probing === 'slow' ? '; probing once a second (its own traffic shows it alive)' : ''}`);
    const sw = switchLine(u, now);
    if (sw) details.push(sw);
  }
  let tail = '';
  if (snap.lastEvent) {
    const e = snap.lastEvent;
    tail += `\nlast event: ${e.iface} ${e.from} -> ${e.to} ${ago(now - e.at)} ago (${e.reason})${e.detectMs === null ? '' : `, detected in ${e.detectMs} ms`}`;
  }
  if (snap.mqtt?.enabled) tail += `\nmqtt: ${snap.mqtt.connected ? 'connected' : `not connected${snap.mqtt.lastError ? ` (${snap.mqtt.lastError})` : ''}`}`;
  return `${head}${stale}\n\n${pad(rows)}\n\n${details.join('\n')}${tail}`;
}
