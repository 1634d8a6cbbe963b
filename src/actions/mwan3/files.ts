// mwan3's runtime state on tmpfs, read and written the way mwan3 itself does it:
//   <trackDir>/<iface>/STATUS|ONLINE|OFFLINE|PID|STARTED   written by mwan3track (PID/STARTED: 2.12+)
//   <trackDir>/<iface>/TURN|SCORE                           written by mwan3track at the end of each round
//   <mwan3RunDir>/iface_state/<iface>                       written by /etc/hotplug.d/iface/15-mwan3
// and how to find an interface's tracker process: the PID file on 2.12+, procd's instance list
// (`ubus call service list`) on 2.11, which has no PID file.
import type { FileSystem, Spawner } from '../../platform/ports.ts';

export interface Mwan3Paths {
  trackDir: string;
  mwan3RunDir: string;
  hotplugCall: string;
  conntrack: string;
  ipset: string;
  ubus: string;
  /** procfs, to see what the tracker is running right now (its child: sleep, ping, …) */
  procDir: string;
}

export const DEFAULT_MWAN3_PATHS: Mwan3Paths = {
  trackDir: '/var/run/mwan3track',
  mwan3RunDir: '/var/run/mwan3',
  hotplugCall: '/sbin/hotplug-call',
  conntrack: 'conntrack',
  ipset: 'ipset',
  ubus: 'ubus',
  procDir: '/proc',
};

// Interface and device names end up in paths and argv: refuse anything that is not a plain
// Linux/netifd name (IFNAMSIZ 16 incl. NUL → at most 15 characters).
const NAME_RE = /^[A-Za-z0-9_.@-]{1,15}$/;

export function isValidName(name: string): boolean {
  return NAME_RE.test(name) && name !== '.' && name !== '..';
}

export interface TrackerFiles {
  /** online|offline|connecting|disconnecting|disabled, null when the file is missing */
  status: string | null;
  /** 2.12+: the tracker's own pid; null on 2.11 or when missing */
  pid: number | null;
  /** 2.12+: true while tracking, false while parked; null on 2.11 or when missing */
  started: boolean | null;
}

/** What the files say of the tracker: parked (STARTED=0 on 2.12+, or STATUS=disabled) */
export function isParked(t: TrackerFiles): boolean {
  return t.started === false || t.status === 'disabled';
}

const trim = (text: string | null): string | null => (text === null ? null : text.trim());

function parsePid(text: string | null): number | null {
  const t = trim(text);
  if (!t || !/^\d+$/.test(t)) return null;
  const pid = Number(t);
  return pid > 1 ? pid : null;
}

export async function readTracker(fs: FileSystem, trackDir: string, iface: string): Promise<TrackerFiles> {
  const dir = `${trackDir}/${iface}`;
  const [status, pid, started] = await Promise.all([
    fs.readText(`${dir}/STATUS`), fs.readText(`${dir}/PID`), fs.readText(`${dir}/STARTED`),
  ]);
  const startedText = trim(started);
  return {
    status: trim(status) || null,
    pid: parsePid(pid),
    started: startedText === '1' ? true : startedText === '0' ? false : null,
  };
}

/** The tracker's round counter and score as of the end of its last round (null when missing). */
export async function readRound(fs: FileSystem, trackDir: string, iface: string): Promise<{ turn: string | null; score: number | null }> {
  const dir = `${trackDir}/${iface}`;
  const [turn, score] = await Promise.all([fs.readText(`${dir}/TURN`), fs.readText(`${dir}/SCORE`)]);
  // the tracker truncates, then writes: an empty file is a write in progress, read as missing
  const s = trim(score);
  return { turn: trim(turn) || null, score: s && /^-?\d+$/.test(s) ? Number(s) : null };
}

/** The command name of the tracker's running child (`sleep` between rounds and while parked,
 *  `ping` & co. while probing, `env`/`hotplug-call`/`logger` during a transition), null when it
 *  has none or procfs cannot tell. Reads the kernel's child list when it has one
 *  (CONFIG_PROC_CHILDREN), otherwise scans the process table once. */
export async function trackerChild(fs: FileSystem, procDir: string, pid: number): Promise<string | null> {
  const statOf = async (p: string): Promise<{ comm: string; ppid: number } | null> => {
    const text = await fs.readText(`${procDir}/${p}/stat`).catch(() => null);
    const open = text?.indexOf('(') ?? -1;
    const close = text?.lastIndexOf(')') ?? -1;
    if (!text || open < 0 || close < open) return null;
    const ppid = Number(text.slice(close + 2).split(' ')[1]);
    return { comm: text.slice(open + 1, close), ppid };
  };
  const listed = await fs.readText(`${procDir}/${pid}/task/${pid}/children`).catch(() => null);
  const kids = listed !== null
    ? listed.trim().split(/\s+/).filter((k) => /^\d+$/.test(k))
    : (await fs.readDir(procDir).catch(() => [] as string[])).filter((k) => /^\d+$/.test(k) && k !== String(pid));
  for (const k of kids) {
    const st = await statOf(k);
    if (st && st.ppid === pid) return st.comm;
  }
  return null;
}

export interface StateFiles {
  status: string;
  online: string;
  offline: string;
}

/** The three files LuCI and `mwan3 status` read, as they are now (null when missing). */
export async function readStateFiles(fs: FileSystem, trackDir: string, iface: string): Promise<StateFiles | null> {
  const dir = `${trackDir}/${iface}`;
  const [status, online, offline] = await Promise.all([
    fs.readText(`${dir}/STATUS`), fs.readText(`${dir}/ONLINE`), fs.readText(`${dir}/OFFLINE`),
  ]);
  if (status === null) return null;
  return { status, online: online ?? '0\n', offline: offline ?? '0\n' };
}

/** Plain truncate-and-write, like mwan3track: its readers expect exactly that. */
export async function writeStateFiles(fs: FileSystem, trackDir: string, iface: string, files: StateFiles): Promise<void> {
  const dir = `${trackDir}/${iface}`;
  await fs.mkdirp(dir);
  await fs.writeText(`${dir}/STATUS`, files.status);
  await fs.writeText(`${dir}/OFFLINE`, files.offline);
  await fs.writeText(`${dir}/ONLINE`, files.online);
}

export function offlineFiles(uptimeS: number): StateFiles {
  return { status: 'offline\n', offline: `${uptimeS}\n`, online: '0\n' };
}

export function onlineFiles(uptimeS: number): StateFiles {
  return { status: 'online\n', offline: '0\n', online: `${uptimeS}\n` };
}

/** `online` / `offline` as 15-mwan3 last wrote it, null when missing (mwan3 stopped, booting). */
export async function readIfaceState(fs: FileSystem, mwan3RunDir: string, iface: string): Promise<string | null> {
  return trim(await fs.readText(`${mwan3RunDir}/iface_state/${iface}`)) || null;
}

/** procd's answer to `ubus call service list '{"name":"mwan3"}'` → pid of instance track_<iface>. */
export function parseServiceList(json: string, iface: string): number | null {
  try {
    const data = JSON.parse(json) as Record<string, { instances?: Record<string, { pid?: unknown; running?: unknown }> }>;
    const inst = data?.mwan3?.instances?.[`track_${iface}`];
    if (!inst || inst.running === false) return null;
    return typeof inst.pid === 'number' && inst.pid > 1 ? inst.pid : null;
  } catch {
    return null;
  }
}

export interface TrackerPid {
  pid: number | null;
  /** where the pid came from, for logs */
  source: 'pidfile' | 'ubus' | 'none';
  /** set when the lookup itself failed (ubus missing, procd not answering) */
  error?: string;
}

/** 2.12+: the PID file. 2.11 (no PID file): ask procd, which started the tracker as track_<iface>. */
export async function findTrackerPid(spawner: Spawner, fs: FileSystem, paths: Mwan3Paths, iface: string): Promise<TrackerPid> {
  const fromFile = parsePid(await fs.readText(`${paths.trackDir}/${iface}/PID`));
  if (fromFile !== null) return { pid: fromFile, source: 'pidfile' };
  try {
    const res = await spawner.run([paths.ubus, 'call', 'service', 'list', '{"name":"mwan3"}'], { timeoutMs: 5000 });
    if (res.code !== 0) return { pid: null, source: 'none', error: `ubus call service list: exit ${res.code ?? res.signal}` };
    const pid = parseServiceList(res.stdout, iface);
    return { pid, source: pid === null ? 'none' : 'ubus' };
  } catch (e) {
    return { pid: null, source: 'none', error: `ubus: ${(e as Error).message}` };
  }
}
