// The bench's markdown: every scenario's figures for each profile side by side, beside the floor
// and the target. Pure (results in, text out), so the table can change without touching the runs.
// A new failover figure is one entry in FIGURES.
import type { FailoverFloors, Profile, Range } from '../lab/floors.ts';
import { OTHER, SETTLE_MS, UNDER_TEST, isUploadScenario, type FailoverRun, type ScenarioName, type ScenarioResult } from '../lab/scenarios.ts';
import { summarize, type Summary } from './stats.ts';

export interface TableContext {
  intervalMs: number;
  timeoutMs: number;
  down: number;
  up: number;
  runtime: string;
  /** probes per uplink per round (its track_ips): today's idle rate is this × 1000 / interval */
  targetsPerUplink: number;
  rssMaxKb: Partial<Record<Profile, number>>;
  bundleBytes: number;
}

interface Figure {
  key: keyof FailoverRun;
  label: string;
  floor?: keyof FailoverFloors;
  target?: (s: ScenarioName) => string | undefined;
}

const FIGURES: Figure[] = [
  { key: 'detectMs', label: 'detection (fault → offline decision)', floor: 'detect', target: () => 'p95 ≤ 1000' },
  { key: 'switchMs', label: 'switchover (fault → route changed)', floor: 'switchover' },
  { key: 'routeMs', label: 'decision → route changed (reported by wanpulse)', target: () => 'p95 ≤ 20' },
  { key: 'outageMs', label: 'outage: longest silence of the 10 ms UDP stream', floor: 'outage', target: (s) => (s === 'cut-busy' || s.startsWith('oneway') ? 'p95 ≤ 500' : undefined) },
  { key: 'tcpMovedMs', label: 'long-lived TCP flow on the other uplink' },
  { key: 'recoveryMs', label: 'recovery (restore → online decision)', floor: 'recovery' },
  { key: 'backInRouteMs', label: 'back in the route (restore → route)', floor: 'recovery' },
  { key: 'mqttMs', label: 'MQTT event after the decision', target: () => '≤ 100' },
  // not a result: how uncertain the fault's moment (the start of every figure above) was
  { key: 'injectLagMs', label: 'fault command issued → returned (uncertainty of the start)' },
];

export type FigureSummaries = Partial<Record<ScenarioName, Partial<Record<Profile, Record<string, Summary>>>>>;

/** Per scenario and profile, median / p95 / max of every failover figure (for the JSON too). */
export function summaries(results: ScenarioResult[]): FigureSummaries {
  const out: FigureSummaries = {};
  for (const r of results) {
    if (!r.runs) continue;
    const per: Record<string, Summary> = {};
    for (const f of FIGURES) per[f.key] = summarize(r.runs.map((x) => x[f.key] as number | null));
    (out[r.scenario] ??= {})[r.profile] = per;
  }
  return out;
}

const ms = (v: number | null) => (v === null ? '–' : `${Math.round(v)}`);
const triple = (s: Summary | undefined) => (s && s.n ? `${ms(s.median)} / ${ms(s.p95)} / ${ms(s.max)}` : '–');
const floorText = (r: Range | undefined) => (r ? `${Math.round(r.min)}–${Math.round(r.max)} (${Math.round(r.median)})` : '–');
const rate = (v: number | undefined) => (v === undefined ? '–' : v.toFixed(2));

function find(results: ScenarioResult[], name: ScenarioName, p: Profile): ScenarioResult | undefined {
  return results.find((r) => r.scenario === name && r.profile === p);
}

function failoverTable(results: ScenarioResult[], profiles: Profile[], sums: FigureSummaries): string[] {
  const names = [...new Set(results.filter((r) => r.runs).map((r) => r.scenario))];
  if (!names.length) return [];
  const head = `| scenario · figure (ms) | ${profiles.map((p) => `${p} median / p95 / max`).join(' | ')} | ${profiles.map((p) => `floor ${p} min–max (median)`).join(' | ')} | target | n |`;
  const lines = [head, `|${'---|'.repeat(3 + 2 * profiles.length)}`];
  for (const name of names) {
    for (const f of FIGURES) {
      const cells = profiles.map((p) => sums[name]?.[p]?.[f.key]);
      if (cells.every((c) => !c || c.n === 0)) continue;
      const floors = profiles.map((p) => floorText(f.floor ? find(results, name, p)?.floors?.[f.floor] : undefined));
      const n = profiles.map((p) => `${cells[profiles.indexOf(p)]?.n ?? 0}`).join(' / ');
      lines.push(`| ${name} · ${f.label} | ${cells.map(triple).join(' | ')} | ${floors.join(' | ')} | ${f.target?.(name) ?? ''} | ${n} |`);
    }
    for (const p of profiles) for (const note of find(results, name, p)?.notes ?? []) lines.push(`| ${name} · ${p}: ${note} |${' |'.repeat(2 + 2 * profiles.length)}`);
  }
  return lines;
}

function enduranceTable(results: ScenarioResult[], profiles: Profile[]): string[] {
  const names = [...new Set(results.filter((r) => r.endurance).map((r) => r.scenario))];
  if (!names.length) return [];
  const lines = [
    `| working but bad uplink | ${profiles.map((p) => `${p}: offline (false failovers) / degraded in s`).join(' | ')} | queueing delay median / max (share ≥ 1 s), upload kbit/s, lowest packets/s back (ACKs) | ${profiles.map((p) => `${p}: probing slow (share of status polls; first after)`).join(' | ')} | target |`,
    `|${'---|'.repeat(3 + 2 * profiles.length)}`,
  ];
  for (const name of names) {
    const cells = profiles.map((p) => {
      const e = find(results, name, p)?.endurance;
      return e ? `${e.offline} / ${e.degraded} in ${(e.durationMs / 1000).toFixed(0)}` : '–';
    });
    const extra = profiles.map((p) => {
      const e = find(results, name, p)?.endurance;
      if (!e?.queue) return '';
      const q = e.queue;
      const u = e.upload;
      return `${p}: ${ms(q.medianMs)} / ${ms(q.maxMs)} ms (${Math.round(q.shareAtLeast1s * 100)} %)${u ? `, ${Math.round(u.kbitPerS)} kbit/s` : ''}, ${q.backMinPerS === null ? '–' : q.backMinPerS.toFixed(0)}/s`;
    }).filter(Boolean).join('; ');
    const slow = profiles.map((p) => {
      const w = find(results, name, p)?.endurance?.probing;
      return w && w.polls ? `${Math.round(w.slowShare * 100)} % (${w.firstSlowMs === null ? 'never' : `${(w.firstSlowMs / 1000).toFixed(1)} s`})` : '–';
    });
    const target = isUploadScenario(name) ? '0 offline, queue ≥ 1 s' : '0 offline';
    lines.push(`| ${name} | ${cells.join(' | ')} | ${extra || '–'} | ${slow.join(' | ')} | ${target} |`);
  }
  return lines;
}

function probeTable(results: ScenarioResult[], ctx: TableContext): string[] {
  if (!results.length) return [];
  const today = (ctx.targetsPerUplink * 1000) / ctx.intervalMs;
  const lines = [
    `| scenario | profile | probes/s, uplink under test | the same from ${SETTLE_MS / 1000} s after the traffic started | probes/s, other uplink | probes/s wg1 / wg2, whole scenario | daemon CPU (% of one core) | target |`,
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    const st = r.probes.steady.perUplink;
    const wh = r.probes.whole.perUplink;
    const busy = r.scenario === 'cut-busy' || isUploadScenario(r.scenario) || r.scenario === 'cut-under-load' || r.scenario === 'steady-traffic' || r.scenario.startsWith('oneway');
    const target = busy ? 'under test ≤ 1/s (user traffic flows)' : `≤ ${today.toFixed(0)}/s (today's idle rate)`;
    const settled = r.probes.settled?.perUplink[UNDER_TEST]?.requestsPerS;
    lines.push(`| ${r.scenario} | ${r.profile} | ${rate(st[UNDER_TEST]?.requestsPerS)} | ${settled === undefined ? '–' : settled.toFixed(2)} | ${rate(st[OTHER]?.requestsPerS)} | ${rate(wh.wg1?.requestsPerS)} / ${rate(wh.wg2?.requestsPerS)} | ${r.cpuPct.toFixed(2)} % | ${target} |`);
  }
  return lines;
}

/** The whole markdown block. */
export function markdown(results: ScenarioResult[], ctx: TableContext): string {
  const profiles = [...new Set(results.map((r) => r.profile))];
  const sums = summaries(results);
  const nRuns = Math.max(0, ...results.map((r) => r.runs?.length ?? 0));
  return [
    `Scenarios in the lab (${profiles.join(' and ')}${profiles.length > 1 ? ', one run' : ''}; failovers: up to ${nRuns} per scenario at random phases; interval ${ctx.intervalMs} ms, timeout ${ctx.timeoutMs} ms, down ${ctx.down}, up ${ctx.up}; daemon under ${ctx.runtime}):`,
    '',
    ...failoverTable(results, profiles, sums),
    '',
    ...enduranceTable(results, profiles),
    '',
    'Probe packets (ICMP echo requests out of each tunnel device, nftables counters in main) while the scenario\'s traffic or fault was on, and the daemon\'s CPU over the scenario:',
    '',
    ...probeTable(results, ctx),
    '',
    '| resource | value | target |',
    '|---|---|---|',
    ...profiles.map((p) => `| daemon RSS (max), ${p} | ${ctx.rssMaxKb[p] ? `${(ctx.rssMaxKb[p]! / 1024).toFixed(1)} MB` : '–'} | |`),
    `| bundle dist/wanpulse.js | ${(ctx.bundleBytes / 1024).toFixed(1)} KB | ≤ 150 KB |`,
  ].join('\n');
}
