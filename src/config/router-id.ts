// A name for this router that is unique and stable across reboots: the hostname plus the last
// three bytes of a hardware (MAC) address. Two routers left at OpenWrt's default hostname
// `OpenWrt` would otherwise share one MQTT client id (and knock each other off the broker) and
// one topic tree. docs/mqtt.md explains the choice.
//
// Which address: of the interfaces in /sys/class/net that are backed by a device (a `device`
// entry: no bridge, VLAN, tunnel, WireGuard or veth, whose addresses are copied or random), the
// one whose name sorts first (eth0 before eth1 before eth10 before wlan0), preferring globally
// unique addresses (the locally-administered bit clear) over local ones (virtual machines).
// No usable address: the hostname alone.
import type { FileSystem } from '../platform/ports.ts';

export const SYS_NET = '/sys/class/net';

const MAC = /^([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2})$/;

/** "eth10" after "eth9": names compare by their text, then by a trailing number. */
export function compareIfNames(a: string, b: string): number {
  const [, pa = '', na = ''] = /^(.*?)([0-9]*)$/.exec(a) ?? [];
  const [, pb = '', nb = ''] = /^(.*?)([0-9]*)$/.exec(b) ?? [];
  if (pa !== pb) return pa < pb ? -1 : 1;
  if (na === nb) return 0;
  if (na === '' || nb === '') return na === '' ? -1 : 1;
  return Number(na) - Number(nb) || (na < nb ? -1 : 1);
}

interface Candidate { name: string; mac: string; global: boolean }

async function candidate(fs: FileSystem, name: string): Promise<Candidate | null> {
  if (name === 'lo' || !(await fs.exists(`${SYS_NET}/${name}/device`))) return null;
  const text = await fs.readText(`${SYS_NET}/${name}/address`).catch(() => null);
  const m = MAC.exec((text ?? '').trim().toLowerCase());
  if (!m) return null;
  const bytes = m.slice(1).map((h) => parseInt(h, 16));
  if (bytes.every((b) => b === 0) || (bytes[0]! & 1) !== 0) return null; // none, or multicast
  return { name, mac: m[0], global: (bytes[0]! & 2) === 0 };
}

/** The hardware address that names this router, or null. */
export async function routerMac(fs: FileSystem): Promise<{ iface: string; mac: string } | null> {
  const names = (await fs.readDir(SYS_NET).catch(() => [] as string[])).slice().sort(compareIfNames);
  let local: Candidate | null = null;
  for (const name of names) {
    const c = await candidate(fs, name);
    if (c?.global) return { iface: c.name, mac: c.mac };
    if (c && !local) local = c;
  }
  return local ? { iface: local.name, mac: local.mac } : null;
}

/** Characters safe in a client id, a topic level and a discovery id. */
export function hostnamePart(hostname: string): string {
  return hostname.replace(/[^A-Za-z0-9_.-]/g, '_') || 'openwrt';
}

/** `<hostname>-<last 3 bytes of the MAC>`, e.g. `OpenWrt-4f21c0`; the hostname alone without one. */
export async function routerId(hostname: string, fs: FileSystem): Promise<string> {
  const mac = await routerMac(fs);
  const host = hostnamePart(hostname);
  return mac ? `${host}-${mac.mac.slice(9).replace(/:/g, '')}` : host;
}
