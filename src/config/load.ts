// Loads /etc/config/wanpulse together with mwan3's and netifd's config into one typed Config.
// Every problem of every file is collected (file:line), so `wanpulse check-config` shows them
// all at once; the Config is null as soon as one of them is an error.
import { DEFAULT_GLOBAL, DEFAULT_HEALTH, DEFAULT_MMX_MASK, DEFAULT_MQTT, DEFAULT_MQTTS_PORT, LIMITS } from './defaults.ts';
import { checkDevices } from './device-check.ts';
import { checkMwan3TrackerValues } from './mwan3-values.ts';
import { checkFeasibility } from './feasibility.ts';
import { checkHealth, readHealthOptions } from './health.ts';
import { networkDevices, readWanpulseInterface, selectMwan3, selectRoute, type Selection, type WanpulseInterface } from './interfaces.ts';
import { parseMask } from './mark.ts';
import { checkMqttText, passwordFromFile } from './mqtt-values.ts';
import { hostnamePart, routerId } from './router-id.ts';
import type { BackendName, Config, ConfigProblem, GlobalConfig, HealthParams, LogLevelName, MqttConfig } from './types.ts';
import { parseUci, sectionRef, type UciSection } from './uci.ts';
import { OptionReader } from './values.ts';
import type { FileSystem, Spawner } from '../platform/ports.ts';
import { fromSystemError } from '../platform/read-file.ts';
import { quote } from './quote.ts';

export interface LoadDeps {
  fs: FileSystem;
  /** when given, devices only netifd knows are looked up with ubus (daemon start) */
  spawner?: Spawner;
}

export interface LoadResult {
  config: Config | null;
  problems: ConfigProblem[];
}

const BACKENDS: readonly BackendName[] = ['mwan3', 'route', 'none'];
const LOG_LEVELS: readonly LogLevelName[] = ['error', 'warn', 'info', 'debug'];
const WRAP_MODES = ['auto', 'on', 'off'] as const;

interface ParsedFile { path: string; sections: UciSection[] }

/** null when the file is not there; an unreadable one (a directory, no permission, a FIFO, too
 *  big) is an error at the file itself, never an exception. */
async function readUci(fs: FileSystem, path: string, problems: ConfigProblem[]): Promise<ParsedFile | null> {
  let text: string | null;
  try { text = await fs.readText(path); } catch (e) {
    problems.push({ file: path, line: 0, severity: 'error', message: `cannot be read: ${readReason(e)}` });
    return { path, sections: [] };
  }
  if (text === null) return null;
  const parsed = parseUci(text, path);
  problems.push(...parsed.problems);
  return { path, sections: parsed.sections };
}

/** Reads the sections of one type in order; later sections override earlier ones. */
function readersOf(file: ParsedFile, type: string, problems: ConfigProblem[]): OptionReader[] {
  const list = file.sections.filter((s) => s.type === type);
  return list.map((s, i) => {
    const r = new OptionReader(s, file.path, `${type} ${sectionRef(s)}`, problems);
    if (i > 0) r.warn(s.line, `another ${type} section (first at line ${list[0]!.line}): its options override the earlier ones`);
    return r;
  });
}

function readGlobals(readers: OptionReader[]): { global: GlobalConfig; health: HealthParams } {
  const global: GlobalConfig = { ...DEFAULT_GLOBAL };
  let health: HealthParams = { ...DEFAULT_HEALTH };
  for (const r of readers) {
    global.enabled = r.bool('enabled') ?? global.enabled;
    global.backend = r.oneOf('backend', BACKENDS) ?? global.backend;
    global.logLevel = r.oneOf('log_level', LOG_LEVELS) ?? global.logLevel;
    global.drain = r.bool('drain') ?? global.drain;
    global.drainOnRecovery = r.bool('drain_on_recovery') ?? global.drainOnRecovery;
    const handback = r.int('unknown_handback_s', LIMITS.unknownHandbackS, 's');
    if (handback !== undefined) global.unknownHandbackMs = handback * 1000;
    const table = r.raw('route_table');
    if (table && table.value !== 'main') {
      const n = r.int('route_table', LIMITS.routeTable);
      if (n !== undefined) global.routeTable = String(n);
    } else if (table) {
      global.routeTable = 'main';
    }
    global.routeMetric = r.int('route_metric', LIMITS.routeMetric) ?? global.routeMetric;
    global.routeResilient = r.bool('route_resilient') ?? global.routeResilient;
    global.routeIdleTimerS = r.int('route_idle_timer_s', LIMITS.routeIdleTimerS, 's') ?? global.routeIdleTimerS;
    global.mwan3Wrap = r.oneOf('mwan3_wrap', WRAP_MODES) ?? global.mwan3Wrap;
    const fping = r.raw('fping');
    if (fping && !/^\/[^\s]*$/.test(fping.value)) r.error(fping.line, `fping ${quote(fping.value)} must be an absolute path without spaces`);
    else if (fping) global.fpingPath = fping.value;
    const over = readHealthOptions(r);
    health = { ...health, ...over };
    checkHealth(health, over, r);
    r.warnUnknown();
  }
  return { global, health };
}

async function readMqtt(readers: OptionReader[], hostname: string, fs: FileSystem): Promise<MqttConfig> {
  const mqtt: MqttConfig = { ...DEFAULT_MQTT, clientId: '', baseTopic: '' };
  let portSet = false;
  for (const r of readers) {
    mqtt.enabled = r.bool('enabled') ?? mqtt.enabled;
    const host = r.str('host');
    if (host !== undefined && !/^[^\s/]+$/.test(host)) r.error(r.lineOf('host'), `host ${quote(host)} is not a host name or address`);
    else if (host !== undefined) mqtt.host = host;
    mqtt.tls = r.bool('tls') ?? mqtt.tls;
    const port = r.int('port', LIMITS.port);
    if (port !== undefined) { mqtt.port = port; portSet = true; }
    mqtt.tlsInsecure = r.bool('tls_insecure') ?? mqtt.tlsInsecure;
    mqtt.caFile = r.str('ca_file') ?? mqtt.caFile;
    for (const [name, key] of [['client_id', 'clientId'], ['username', 'username'], ['password', 'password'],
      ['base_topic', 'baseTopic'], ['discovery_prefix', 'discoveryPrefix']] as const) {
      const v = r.str(name);
      if (v !== undefined && checkMqttText(r, name, v)) mqtt[key] = v;
    }
    mqtt.passwordFile = r.str('password_file') ?? mqtt.passwordFile;
    mqtt.discovery = r.bool('discovery') ?? mqtt.discovery;
    const every = r.int('publish_interval_s', LIMITS.publishIntervalS, 's');
    if (every !== undefined) mqtt.publishIntervalMs = every * 1000;
    mqtt.keepaliveS = r.int('keepalive_s', LIMITS.keepaliveS, 's') ?? mqtt.keepaliveS;
    r.warnUnknown();
  }
  if (mqtt.tls && !portSet) mqtt.port = DEFAULT_MQTTS_PORT;
  // defaults unique per router (router-id.ts); the hardware address is only read when MQTT is on
  mqtt.routerId = mqtt.enabled ? await routerId(hostname, fs) : hostnamePart(hostname);
  mqtt.clientId ||= `wanpulse-${mqtt.routerId}`;
  mqtt.baseTopic ||= `wanpulse/${mqtt.routerId}`;
  const last = readers.at(-1);
  if (!mqtt.enabled || !last) return mqtt;
  // files are read now, so a typo shows in check-config instead of as a reconnect loop later
  if (mqtt.passwordFile !== undefined) {
    let text: string | null = null;
    let why = 'does not exist';
    try { text = await fs.readText(mqtt.passwordFile, { maxBytes: PASSWORD_FILE_MAX_BYTES }); } catch (e) { why = readReason(e); }
    if (text === null) last.error(last.lineOf('password_file'), `password_file ${quote(mqtt.passwordFile)} cannot be read: ${why}`);
    else if (checkMqttText(last, 'password', passwordFromFile(text), last.lineOf('password_file'))) mqtt.password = passwordFromFile(text);
  }
  if (mqtt.tls && mqtt.caFile !== undefined && !(await fs.exists(mqtt.caFile))) {
    last.error(last.lineOf('ca_file'), `ca_file ${quote(mqtt.caFile)} does not exist`);
  }
  if (mqtt.username === undefined && mqtt.password !== undefined) {
    last.warn(last.lineOf('password'), 'a password without a username is not sent (MQTT 3.1.1)');
  }
  return mqtt;
}

const KNOWN_TYPES = new Set(['globals', 'interface', 'mqtt']);

/** an MQTT password is at most 65535 bytes */
const PASSWORD_FILE_MAX_BYTES = 64 * 1024;

/** The reason of a failed read in words. */
const readReason = (e: unknown): string => fromSystemError(e).message;

export async function loadConfig(deps: LoadDeps, configDir: string, opts?: { hostname: string }): Promise<LoadResult> {
  const problems: ConfigProblem[] = [];
  const dir = configDir.replace(/\/+$/, '');
  const wanpulsePath = `${dir}/wanpulse`;
  const wanpulse = (await readUci(deps.fs, wanpulsePath, problems)) ?? { path: wanpulsePath, sections: [] };
  if (wanpulse.sections.length === 0 && !problems.some((p) => p.file === wanpulsePath)) {
    problems.push({ file: wanpulsePath, line: 0, severity: 'warning', message: 'missing or empty: every option takes its default' });
  }
  for (const s of wanpulse.sections) {
    if (!KNOWN_TYPES.has(s.type)) {
      problems.push({ file: wanpulsePath, line: s.line, severity: 'warning', message: `unknown section type ${quote(s.type)} (expected globals, interface or mqtt): ignored` });
    }
  }
  const { global, health } = readGlobals(readersOf(wanpulse, 'globals', problems));
  const mqtt = await readMqtt(readersOf(wanpulse, 'mqtt', problems), opts?.hostname ?? 'openwrt', deps.fs);
  const wpIfaces: WanpulseInterface[] = [];
  for (const s of wanpulse.sections) {
    if (s.type !== 'interface') continue;
    const wp = readWanpulseInterface(s, wanpulsePath, problems);
    if (wp) wpIfaces.push(wp);
  }
  // netifd's file only hints at devices: its problems never stop wanpulse
  const networkProblems: ConfigProblem[] = [];
  const network = await readUci(deps.fs, `${dir}/network`, networkProblems);
  for (const p of networkProblems) problems.push({ ...p, severity: 'warning' });
  const devices = networkDevices(network?.sections ?? []);

  let selection: Selection = { interfaces: [], policies: [], untracked: [] };
  const mwan3Path = `${dir}/mwan3`;
  let mwan3: ParsedFile | null = null;
  if (global.backend === 'route') {
    selection = selectRoute({ globals: health, wanpulse: wpIfaces, devices });
  } else {
    mwan3 = await readUci(deps.fs, mwan3Path, problems);
    if (!mwan3) {
      problems.push({ file: mwan3Path, line: 0, severity: 'error', message: `not found: backend ${global.backend} takes its interfaces from mwan3's config (or set option backend 'route')` });
    } else {
      global.mmxMask = readMask(mwan3, problems);
      checkMwan3TrackerValues(mwan3.sections, mwan3Path, problems);
      selection = selectMwan3({
        sections: mwan3.sections, file: mwan3Path, mmxMask: global.mmxMask, globals: health,
        wanpulse: new Map(wpIfaces.map((w) => [w.name, w])), devices, problems,
      });
    }
  }
  if (selection.interfaces.length === 0 && !problems.some((p) => p.severity === 'error')) {
    const where = global.backend === 'route' ? wanpulsePath : mwan3Path;
    problems.push({ file: where, line: 0, severity: 'warning', message: global.backend === 'route'
      ? 'no enabled interface section: nothing to track'
      : 'no mwan3 interface is enabled with a track_ip: nothing to track' });
  }

  problems.push(...checkFeasibility(selection.interfaces, global.backend === 'route' ? wanpulsePath : mwan3Path));
  await checkDevices({
    interfaces: selection.interfaces, spawner: deps.spawner, mwan3Sections: mwan3?.sections ?? [], mwan3Path,
    networkSections: network?.sections ?? [], problems,
  });
  // what the user edits first, then what it builds on; lines ascending within a file
  const rank = (f: string) => [wanpulsePath, mwan3Path, `${dir}/network`].indexOf(f) >>> 0;
  problems.sort((a, b) => rank(a.file) - rank(b.file) || a.line - b.line);
  const hasError = problems.some((p) => p.severity === 'error');
  const config: Config | null = hasError ? null : { global, interfaces: selection.interfaces, policies: selection.policies, untracked: selection.untracked, mqtt };
  return { config, problems };
}

function readMask(mwan3: ParsedFile, problems: ConfigProblem[]): number {
  const globals = mwan3.sections.find((s) => s.type === 'globals' && s.name === 'globals');
  if (!globals) return DEFAULT_MMX_MASK;
  const r = new OptionReader(globals, mwan3.path, "mwan3 globals 'globals'", problems);
  const v = r.raw('mmx_mask');
  if (!v) return DEFAULT_MMX_MASK;
  const mask = parseMask(v.value);
  if (mask === null) { r.error(v.line, `mmx_mask ${quote(v.value)} is not a bit mask like 0x3F00`); return DEFAULT_MMX_MASK; }
  return mask;
}

/** `file:line: error: message`, one per line, files in the order met and lines ascending. */
export function formatProblems(problems: ConfigProblem[]): string {
  const fileOrder = new Map<string, number>();
  for (const p of problems) if (!fileOrder.has(p.file)) fileOrder.set(p.file, fileOrder.size);
  const sorted = problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => fileOrder.get(a.p.file)! - fileOrder.get(b.p.file)! || a.p.line - b.p.line || a.i - b.i)
    .map(({ p }) => `${p.file}${p.line > 0 ? `:${p.line}` : ''}: ${p.severity}: ${p.message}`);
  return sorted.length ? sorted.join('\n') + '\n' : '';
}

/** One closing line for check-config, e.g. "2 errors, 1 warning". */
export function summarizeProblems(problems: ConfigProblem[]): string {
  const errors = problems.filter((p) => p.severity === 'error').length;
  const warnings = problems.length - errors;
  if (problems.length === 0) return 'configuration OK';
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  return `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
}
