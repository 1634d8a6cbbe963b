// A real wanpulse daemon for the LuCI tests and screenshots: `wanpulse run` with backend none
// and the real fping in network namespaces this helper creates (`g` runs the daemon with two
// uplinks over veth, `t` holds two targets per uplink and can cut one with nftables; a flow on
// an uplink is an fping of its own).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeSpawner } from '../../src/platform/node.ts';
import type { ChildProcess } from '../../src/platform/ports.ts';
import type { StatusSnapshot } from '../../src/status/model.ts';
import { NetnsSet, sleep } from '../net/netns.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const MAIN = join(root, 'src/main.ts');

export const MWAN3 = `config globals 'globals'
	option mmx_mask '0x3F00'

${[1, 2].map((n) => `config interface 'wan${n}'
	option enabled '1'
	list track_ip '10.211.${n}.2'
	list track_ip '10.211.${n}.3'
	option reliability '1'
	option family 'ipv4'

config member 'wan${n}_m1'
	option interface 'wan${n}'
	option metric '1'
`).join('\n')}
config policy 'balanced'
	list use_member 'wan1_m1'
	list use_member 'wan2_m1'

config rule 'default_rule_v4'
	option dest_ip '0.0.0.0/0'
	option use_policy 'balanced'
`;

export const NETWORK = `config interface 'loopback'
	option device 'lo'
	option proto 'static'

config interface 'wan1'
	option device 'wlt1'
	option proto 'static'

config interface 'wan2'
	option device 'wlt2'
	option proto 'static'
`;

export const wanpulseConfig = (fping: string) => `config globals 'globals'
	option enabled '1'
	option backend 'none'
	option fping '${fping}'
	option window '20'

config interface 'wan1'
	option device 'wlu1'

config interface 'wan2'
	option device 'wlu2'

config mqtt 'mqtt'
	option enabled '0'
`;

export interface DaemonRun {
  configDir: string;
  runDir: string;
  pid: number;
  status(): StatusSnapshot | null;
  waitFor<T>(what: string, get: () => T | undefined | null | false, ms?: number): Promise<T>;
  cut(n: number): Promise<void>;
  restore(): Promise<void>;
  /** a flow on uplink n (fping, 50 packets/s to one of its targets) until the returned stop */
  traffic(n: number): () => Promise<void>;
  signal(sig: NodeJS.Signals): void;
  logs: string[];
  destroy(): Promise<void>;
}

export async function waitFor<T>(what: string, get: () => T | undefined | null | false | Promise<T | undefined | null | false>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (let i = 0; Date.now() < end && i < 1000; i++) {
    const v = await get();
    if (v) return v;
    await sleep(100);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

export async function startDaemon(tag: string): Promise<DaemonRun> {
  const ns = new NetnsSet(tag);
  const logs: string[] = [];
  let daemon: ChildProcess | null = null;
  try {
    const gw = await ns.add('g');
    const tg = await ns.add('t');
    for (const n of [1, 2]) {
      await ns.exec(gw, ['ip', 'link', 'add', `wlu${n}`, 'type', 'veth', 'peer', 'name', `wlt${n}`, 'netns', tg]);
      await ns.exec(gw, ['ip', 'addr', 'add', `10.211.${n}.1/24`, 'dev', `wlu${n}`]);
      await ns.exec(gw, ['ip', 'link', 'set', `wlu${n}`, 'up']);
      for (const h of [2, 3]) await ns.exec(tg, ['ip', 'addr', 'add', `10.211.${n}.${h}/24`, 'dev', `wlt${n}`]);
      await ns.exec(tg, ['ip', 'link', 'set', `wlt${n}`, 'up']);
    }
    await ns.exec(tg, ['nft', 'add table inet fault; add chain inet fault in { type filter hook input priority 0; }']);
    // "wanpulse" in the paths: rpcd's plugin recognises the daemon by its command line
    const dir = join(ns.scratch(), 'wanpulse');
    const configDir = join(dir, 'config');
    const runDir = join(dir, 'run');
    mkdirSync(configDir, { recursive: true });
    writeFileSync(join(configDir, 'mwan3'), MWAN3);
    writeFileSync(join(configDir, 'network'), NETWORK);
    writeFileSync(join(configDir, 'wanpulse'), wanpulseConfig(ns.wrapper(gw, 'fping', 'fping')));
    daemon = nodeSpawner.spawn(['ip', 'netns', 'exec', gw, process.execPath, '--import', 'tsx', MAIN, 'run', '--config-dir', configDir, '--run-dir', runDir], { stdout: 'pipe', stderr: 'pipe' });
    daemon.onStderrLine((l) => { logs.push(l); if (process.env.VERBOSE) console.error(l); });
    const d = daemon;
    const status = (): StatusSnapshot | null => {
      try { return JSON.parse(readFileSync(join(runDir, 'status.json'), 'utf8')) as StatusSnapshot; } catch { return null; }
    };
    await waitFor('both uplinks online', () => status()?.uplinks.every((u) => u.state === 'online') && status()!.uplinks.length === 2, 20_000);
    return {
      configDir, runDir, pid: status()!.pid, status, waitFor, logs,
      cut: async (n) => { await ns.exec(tg, ['nft', `add rule inet fault in iifname "wlt${n}" drop`]); },
      restore: async () => { await ns.exec(tg, ['nft', 'flush chain inet fault in']); },
      traffic: (n) => {
        const flow = ns.spawn(gw, ['fping', '-l', '-q', '-p', '20', `10.211.${n}.2`], () => {});
        return async () => { flow.kill('SIGTERM'); await Promise.race([flow.exited, sleep(2000)]); };
      },
      signal: (sig) => { try { process.kill(status()?.pid ?? d.pid, sig); } catch { /* gone */ } },
      destroy: async () => {
        try { process.kill(status()?.pid ?? d.pid, 'SIGCONT'); } catch { /* gone */ }
        d.kill('SIGTERM');
        await Promise.race([d.exited, sleep(4000)]);
        d.kill('SIGKILL');
        await ns.destroy();
      },
    };
  } catch (e) {
    daemon?.kill('SIGKILL');
    console.error(logs.join('\n'));
    await ns.destroy();
    throw e;
  }
}
