// The lab's network: five network namespaces joined by veth pairs, two real WireGuard tunnels
// (wireguard-go, userspace: this kernel has no WireGuard module) and nftables masquerading.
//
//   lan ── main ══wg══ up1 ── inet (targets + sink)
//               ══wg══ up2 ──┘
//
// Addresses are the same in every lab instance (each namespace has its own stack); only names
// that live in shared places are unique: namespace names (/run/netns) and WireGuard device names,
// because wireguard-go puts its control socket in /var/run/wireguard/<dev>.sock for all namespaces.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inNs, must, run, sleep, ProcessSet } from './sh.ts';
import type { ChildProcess } from 'node:child_process';
import { generateLabNet, labDescription, wgSetArgs, type LabNet } from './from-setup.ts';

// Addresses of the routers come from the lab's description (test/lab/lab-network.conf), the
// same file `wanpulse setup` turns into the routers' UCI; the "internet" is the lab's own.
const desc = labDescription();
if (desc.uplinks.length !== 2) throw new Error(`lab: ${desc.uplinks.length} uplinks in the lab description; the lab has two uplink routers`);
const lastOctet = (ip: string, n: number) => ip.replace(/\.\d+$/, `.${n}`);

export const ADDR = {
  /** the LAN: main's address from the description, the client .10 of it */
  lanClient: lastOctet(desc.lan.address, 10),
  lanGateway: desc.lan.address,
  lanPrefix: desc.lan.cidr.prefix,
  /** per uplink: main's and the uplink router's ends of the WireGuard tunnel */
  tunnel: desc.uplinks.map((u) => ({ main: u.mainAddr, up: u.upAddr })),
  /** per uplink: the wire the tunnel runs over (main ↔ upN): the endpoint's /24, main is .1 */
  underlay: desc.uplinks.map((u) => ({ main: lastOctet(u.endpointHost, 1), up: u.endpointHost })),
  /** per uplink: the ISP link (upN ↔ inet); upN's address is what the sink sees as source */
  isp: [{ up: '100.64.1.2', inet: '100.64.1.1' }, { up: '100.64.2.2', inet: '100.64.2.1' }],
  targets: ['203.0.113.1', '203.0.113.2'],
  sink: '203.0.113.10',
  /** the uplink routers' WireGuard port (the endpoints' port) */
  wgPort: desc.uplinks[0]!.endpointPort,
} as const;

export const STATE_DIR = '/run/wanpulse-lab';
export const NS_PREFIX = 'wpl';

export interface Uplink {
  /** wanpulse interface name */
  name: 'wg1' | 'wg2';
  index: 0 | 1;
  /** namespace of the uplink router */
  ns: string;
  /** tunnel device in main */
  mainDev: string;
  /** tunnel device in the uplink router */
  upDev: string;
  /** address the sink sees for traffic through this uplink */
  publicIp: string;
  gateway: string;
}

export interface Lab {
  id: string;
  dir: string;
  ns: { lan: string; main: string; up1: string; up2: string; inet: string };
  uplinks: [Uplink, Uplink];
  procs: ProcessSet;
  /** wireguard-go of each uplink router (faults kill and restart it) */
  upWg: Map<string, ChildProcess>;
  /** how each uplink router's WireGuard was set up, to restart a killed one the same way */
  upWgSetup: Map<string, { ns: string; dev: string; addr: string; mtu: number; args: string[] }>;
  /** what `wanpulse setup` generated for the lab's description, translated (from-setup.ts) */
  net: LabNet | null;
}

interface StateFile {
  id: string;
  dir: string;
  namespaces: string[];
  wgDevices: string[];
  pids: number[];
}

export function labNames(id: string) {
  const p = `${NS_PREFIX}${id}-`;
  const ns = { lan: `${p}lan`, main: `${p}main`, up1: `${p}up1`, up2: `${p}up2`, inet: `${p}inet` };
  // Linux device names are at most 15 characters: "wp" + up to 7 pid digits + 2 = 11
  const dev = (side: 'm' | 'u', n: 1 | 2) => `wp${id}${side}${n}`.slice(0, 15);
  return { ns, dev };
}

/** Why the lab cannot run here, or null. */
export async function preflight(): Promise<string | null> {
  if (process.getuid?.() !== 0) return 'the lab needs root (network namespaces, nftables, WireGuard): run it with sudo';
  for (const cmd of ['ip', 'nft', 'wg', 'wireguard-go', 'fping', 'mosquitto', 'mosquitto_sub', 'conntrack']) {
    const r = await run(['sh', '-c', `command -v ${cmd}`]);
    if (r.code !== 0) return `${cmd} is missing: run node build/ensure-deps.mjs as root`;
  }
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing: wireguard-go needs TUN devices';
  const probe = `${NS_PREFIX}${process.pid}-probe`;
  const r = await run(['ip', 'netns', 'add', probe]);
  if (r.code !== 0) return `network namespaces are unavailable here: ${r.stderr.trim()}`;
  await run(['ip', 'netns', 'del', probe]);
  return null;
}

function writeState(lab: Lab): void {
  const { dev } = labNames(lab.id);
  const state: StateFile = {
    id: lab.id, dir: lab.dir, namespaces: Object.values(lab.ns),
    wgDevices: [dev('m', 1), dev('m', 2), dev('u', 1), dev('u', 2)], pids: lab.procs.pids(),
  };
  mkdirSync(STATE_DIR, { recursive: true });
  writeFileSync(join(STATE_DIR, `${lab.id}.json`), JSON.stringify(state) + '\n');
}

/** Where a background process of the lab writes its output. */
export function logPath(lab: Lab, name: string): string {
  mkdirSync(join(lab.dir, 'logs'), { recursive: true });
  return join(lab.dir, 'logs', `${name}.log`);
}

/** Records the current background pids so `--cleanup` from another shell finds them. */
export function saveState(lab: Lab): void {
  writeState(lab);
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 1000 && Date.now() < deadline; i++) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Starts wireguard-go for `dev` inside `ns` and configures it once its control socket is up. */
export async function startWireGuard(lab: Lab, ns: string, dev: string, addr: string, mtu: number, wgArgs: string[]): Promise<ChildProcess> {
  const child = lab.procs.start(`wireguard-go ${dev}`, inNs(ns, ['wireguard-go', '-f', dev]), {
    env: { LOG_LEVEL: 'error', WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD: '1' }, logFile: logPath(lab, `wireguard-go-${dev}`),
  });
  await waitFor(`${dev} control socket`, async () => existsSync(`/var/run/wireguard/${dev}.sock`), 5000);
  await must(inNs(ns, ['wg', 'set', dev, ...wgArgs]));
  await must(['ip', '-n', ns, 'addr', 'add', addr, 'dev', dev]);
  await must(['ip', '-n', ns, 'link', 'set', dev, 'mtu', String(mtu), 'up']);
  writeState(lab);
  return child;
}

/** The WireGuard arguments of uplink i's router side, as generated, plus one lab addition: an
 *  endpoint for main and a 1 s keepalive, so a restarted (killed) peer shakes hands at once
 *  instead of waiting for main to give up on the old session (WireGuard's rekey timeouts are
 *  ~15 s). A real uplink router learns main's address from main's first packet. */
function upWgArgs(lab: Lab, i: 0 | 1, t: LabNet['tunnels'][number]): string[] {
  const keyFile = join(lab.dir, `up${i + 1}.key`);
  writeFileSync(keyFile, t.up.privateKey + '\n', { mode: 0o600 });
  return [...wgSetArgs({ ...t.up, peer: { ...t.up.peer, keepaliveS: 1 } }, keyFile), 'endpoint', `${ADDR.underlay[i]!.main}:${t.main.listenPort}`];
}

/** Restarts a killed uplink-side wireguard-go with its original configuration. */
export async function restartUpWireGuard(lab: Lab, up: Uplink): Promise<void> {
  const r = lab.upWgSetup.get(up.upDev);
  if (!r) throw new Error(`no WireGuard configuration recorded for ${up.upDev}`);
  lab.upWg.set(up.upDev, await startWireGuard(lab, r.ns, r.dev, r.addr, r.mtu, r.args));
}

async function nft(ns: string, ruleset: string): Promise<void> {
  await must(inNs(ns, ['nft', '-f', '-']), { input: ruleset });
}

async function sysctl(ns: string, ...kv: string[]): Promise<void> {
  await must(inNs(ns, ['sysctl', '-q', '-w', ...kv]));
}

/** Builds the lab; on any failure tears down what was built so far and rethrows. */
export async function createLab(id = String(process.pid)): Promise<Lab> {
  const dir = mkdtempSync(join(tmpdir(), `wanpulse-lab-${id}-`));
  const lab = emptyLab(id, dir);
  writeState(lab);
  try {
    await buildLab(lab);
    return lab;
  } catch (e) {
    await destroyLab(lab);
    throw e;
  }
}

function emptyLab(id: string, dir: string): Lab {
  const { ns, dev } = labNames(id);
  const uplink = (i: 0 | 1): Uplink => ({
    name: i === 0 ? 'wg1' : 'wg2', index: i, ns: i === 0 ? ns.up1 : ns.up2,
    mainDev: dev('m', i === 0 ? 1 : 2), upDev: dev('u', i === 0 ? 1 : 2),
    publicIp: ADDR.isp[i]!.up, gateway: ADDR.tunnel[i]!.up,
  });
  return { id, dir, ns, uplinks: [uplink(0), uplink(1)], procs: new ProcessSet(), upWg: new Map(), upWgSetup: new Map(), net: null };
}

async function buildLab(lab: Lab): Promise<void> {
  const { ns, dir } = lab;
  for (const n of Object.values(ns)) {
    await must(['ip', 'netns', 'add', n]);
    await must(['ip', '-n', n, 'link', 'set', 'lo', 'up']);
    await sysctl(n, 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0');
  }
  const veth = async (a: string, aDev: string, aAddr: string, b: string, bDev: string, bAddr: string, prefix = 24) => {
    await must(['ip', '-n', a, 'link', 'add', aDev, 'type', 'veth', 'peer', 'name', bDev, 'netns', b]);
    await must(['ip', '-n', a, 'addr', 'add', `${aAddr}/${prefix}`, 'dev', aDev]);
    await must(['ip', '-n', b, 'addr', 'add', `${bAddr}/${prefix}`, 'dev', bDev]);
    await must(['ip', '-n', a, 'link', 'set', aDev, 'up']);
    await must(['ip', '-n', b, 'link', 'set', bDev, 'up']);
  };
  const net = await generateLabNet(dir);
  lab.net = net;
  await veth(ns.lan, 'eth0', ADDR.lanClient, ns.main, 'lan0', ADDR.lanGateway, ADDR.lanPrefix);
  await must(['ip', '-n', ns.lan, 'route', 'add', 'default', 'via', ADDR.lanGateway]);
  await sysctl(ns.main, 'net.ipv4.ip_forward=1', 'net.ipv4.fib_multipath_hash_policy=1');

  // inet: probe targets and the traffic sink on loopback (this kernel may lack the dummy module)
  for (const a of [...ADDR.targets, ADDR.sink]) await must(['ip', '-n', ns.inet, 'addr', 'add', `${a}/32`, 'dev', 'lo']);

  for (const up of lab.uplinks) {
    const i = up.index;
    const t = net.tunnels[i]!;
    if (t.name !== up.name || t.main.address !== `${ADDR.tunnel[i]!.main}/24` || t.up.address !== `${ADDR.tunnel[i]!.up}/24`) {
      throw new Error(`lab: the generated UCI for ${t.name} (${t.main.address} ↔ ${t.up.address}) does not match the description`);
    }
    await veth(ns.main, `u${i + 1}`, ADDR.underlay[i]!.main, up.ns, 'main0', ADDR.underlay[i]!.up);
    await veth(up.ns, 'isp0', ADDR.isp[i]!.up, ns.inet, `isp${i + 1}`, ADDR.isp[i]!.inet);
    await must(['ip', '-n', up.ns, 'route', 'add', 'default', 'via', ADDR.isp[i]!.inet]);
    await sysctl(up.ns, 'net.ipv4.ip_forward=1');
    // the uplink router's generated `config nat`: masquerade the tunnel's network out of wan
    await nft(up.ns, `table ip wplab_nat {\n chain post { type nat hook postrouting priority srcnat; oifname "isp0" ip saddr ${t.natSrc} masquerade; }\n}\n`);

    const upArgs = upWgArgs(lab, i, t);
    lab.upWgSetup.set(up.upDev, { ns: up.ns, dev: up.upDev, addr: t.up.address, mtu: t.up.mtu, args: upArgs });
    lab.upWg.set(up.upDev, await startWireGuard(lab, up.ns, up.upDev, t.up.address, t.up.mtu, upArgs));

    const mainKeyFile = join(dir, `main${i + 1}.key`);
    writeFileSync(mainKeyFile, t.main.privateKey + '\n', { mode: 0o600 });
    // the generated endpoint is the uplink router's underlay address: the lab's wire
    await startWireGuard(lab, ns.main, up.mainDev, t.main.address, t.main.mtu, wgSetArgs(t.main, mainKeyFile));
  }
  await nft(ns.main, `table ip wplab_nat {\n chain post { type nat hook postrouting priority srcnat; oifname { "${lab.uplinks[0].mainDev}", "${lab.uplinks[1].mainDev}" } masquerade; }\n}\n`);
}

/** A multipath default route in main over the given uplinks (what the daemon manages; the lab
 *  sets it itself only when it runs without the daemon). */
export async function setDefaultRoute(lab: Lab, ups: Uplink[]): Promise<void> {
  if (ups.length === 0) {
    await run(['ip', '-n', lab.ns.main, 'route', 'del', 'default']);
    return;
  }
  const hops = ups.flatMap((u) => ['nexthop', 'via', u.gateway, 'dev', u.mainDev, 'weight', '1']);
  await must(['ip', '-n', lab.ns.main, 'route', 'replace', 'default', ...hops]);
}

/** Devices in main's default route right now (what the kernel will actually use). */
export async function routedDevices(lab: Lab): Promise<string[]> {
  const r = await run(['ip', '-n', lab.ns.main, '-j', 'route', 'show', 'default']);
  if (r.code !== 0) return [];
  try {
    const routes = JSON.parse(r.stdout) as { dev?: string; nexthops?: { dev: string }[] }[];
    return routes.flatMap((x) => (x.nexthops ? x.nexthops.map((h) => h.dev) : x.dev ? [x.dev] : [])).sort();
  } catch {
    return [];
  }
}

async function cleanupState(state: StateFile): Promise<void> {
  // every process in our namespaces is one the lab started (daemon, broker, agents, wireguard-go)
  const pids = new Set(state.pids);
  for (const n of state.namespaces) {
    const r = await run(['ip', 'netns', 'pids', n]);
    for (const p of r.stdout.split(/\s+/).filter(Boolean)) pids.add(Number(p));
  }
  for (const pid of pids) { try { process.kill(pid, 'SIGTERM'); } catch { /* already gone */ } }
  for (let i = 0; i < 20 && [...pids].some(alive); i++) await sleep(100);
  for (const pid of pids) { try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ } }
  for (const n of state.namespaces) await run(['ip', 'netns', 'del', n]);
  for (const d of state.wgDevices) rmSync(`/var/run/wireguard/${d}.sock`, { force: true });
  if (state.dir.startsWith(tmpdir())) rmSync(state.dir, { recursive: true, force: true });
  rmSync(join(STATE_DIR, `${state.id}.json`), { force: true });
}

/** Lab ids are the pid of the process that made the lab; a kept lab's process has exited. */
function ownerAlive(id: string): boolean {
  return /^\d+$/.test(id) && Number(id) !== process.pid && alive(Number(id));
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

/** Tears the lab down: its processes, namespaces, sockets and temp directory. Idempotent. */
export async function destroyLab(lab: Lab, keepDir = false): Promise<void> {
  await lab.procs.stopAll(1500);
  const { dev } = labNames(lab.id);
  await cleanupState({
    id: lab.id, dir: keepDir ? '' : lab.dir, namespaces: Object.values(lab.ns),
    wgDevices: [dev('m', 1), dev('m', 2), dev('u', 1), dev('u', 2)], pids: [],
  });
}

/** `npm run lab -- --cleanup`: removes every lab left behind (by --keep or a crash). */
export async function cleanupAll(log: (s: string) => void): Promise<number> {
  let n = 0;
  const files = existsSync(STATE_DIR) ? readdirSync(STATE_DIR).filter((f) => f.endsWith('.json')) : [];
  for (const f of files) {
    try {
      const state = JSON.parse(readFileSync(join(STATE_DIR, f), 'utf8')) as StateFile;
      if (ownerAlive(state.id)) { log(`lab ${state.id} belongs to a running process: left alone`); continue; }
      log(`removing lab ${state.id} (${state.namespaces.join(', ')})`);
      await cleanupState(state);
      n++;
    } catch (e) {
      log(`could not read ${f}: ${(e as Error).message}`);
    }
  }
  // namespaces whose state file is gone (a crash between creating and recording)
  const list = await run(['ip', 'netns', 'list']);
  const orphans = new Map<string, string[]>();
  for (const line of list.stdout.split('\n')) {
    const m = /^(wpl(\d+)-(lan|main|up1|up2|inet))\b/.exec(line.trim());
    if (m) orphans.set(m[2]!, [...(orphans.get(m[2]!) ?? []), m[1]!]);
  }
  for (const [id, namespaces] of orphans) {
    if (ownerAlive(id)) continue;
    log(`removing orphaned namespaces of lab ${id}`);
    const { dev } = labNames(id);
    await cleanupState({ id, dir: '', namespaces, wgDevices: [dev('m', 1), dev('m', 2), dev('u', 1), dev('u', 2)], pids: [] });
    n++;
  }
  return n;
}
