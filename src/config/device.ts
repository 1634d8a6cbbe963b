// Which Linux device an interface's probes are bound to, when neither wanpulse's config nor the
// network config names it (PPPoE, QMI, aliases …): netifd knows it as `l3_device` in
// `ubus call network.interface dump`. Looked up once at start; the result is only used for
// fping -I and hotplug's DEVICE=, so a miss degrades to the interface name with a warning.
import { UBUS_TIMEOUT_MS } from './defaults.ts';
import type { InterfaceConfig } from './types.ts';
import { isDeviceName } from './values.ts';
import type { Log, Spawner } from '../platform/ports.ts';
import { quote } from './quote.ts';

export interface NetifdInterface {
  interface: string;
  l3_device?: string;
  device?: string;
}

/** Parses `ubus call network.interface dump`; null when the text is not that JSON. */
export function parseInterfaceDump(text: string): NetifdInterface[] | null {
  let data: unknown;
  try { data = JSON.parse(text); } catch { return null; }
  const list = (data as { interface?: unknown })?.interface;
  if (!Array.isArray(list)) return null;
  const out: NetifdInterface[] = [];
  for (const item of list) {
    if (!item || typeof item !== 'object') continue;
    const rec = item as Record<string, unknown>;
    if (typeof rec.interface !== 'string') continue;
    const entry: NetifdInterface = { interface: rec.interface };
    if (typeof rec.l3_device === 'string') entry.l3_device = rec.l3_device;
    if (typeof rec.device === 'string') entry.device = rec.device;
    out.push(entry);
  }
  return out;
}

export interface DeviceLookup {
  /** interfaces whose device is still their own name */
  unresolved: string[];
  /** why the lookup failed as a whole (ubus missing, bad output), if it did */
  failure?: string;
}

/** Fills `device` of interfaces with deviceKnown=false from netifd's l3_device. */
export async function lookupDevices(ifaces: InterfaceConfig[], spawner: Spawner): Promise<DeviceLookup> {
  const wanted = ifaces.filter((i) => !i.deviceKnown);
  if (wanted.length === 0) return { unresolved: [] };
  const names = wanted.map((i) => i.name);
  let stdout: string;
  try {
    const r = await spawner.run(['ubus', 'call', 'network.interface', 'dump'], { timeoutMs: UBUS_TIMEOUT_MS, stderr: 'pipe' });
    if (r.code !== 0) {
      const why = r.signal ? `killed by ${r.signal}` : `exit code ${r.code}`;
      return { unresolved: names, failure: `ubus call network.interface dump failed (${why})${r.stderr.trim() ? ` ${quote(r.stderr.trim(), 120)}` : ''}` };
    }
    stdout = r.stdout;
  } catch (e) {
    const code = (e as { code?: string }).code;
    return { unresolved: names, failure: code === 'ENOENT' ? 'ubus is not installed' : `ubus could not be started: ${quote(String((e as Error)?.message ?? e), 120)}` };
  }
  const dump = parseInterfaceDump(stdout);
  if (!dump) return { unresolved: names, failure: 'ubus call network.interface dump printed no interface list' };
  const unresolved: string[] = [];
  for (const iface of wanted) {
    const entry = dump.find((d) => d.interface === iface.name);
    // only l3_device: `device` of a PPPoE interface is the lower Ethernet device
    const dev = entry?.l3_device;
    if (dev && isDeviceName(dev)) {
      iface.device = dev;
      iface.deviceKnown = true;
    } else {
      unresolved.push(iface.name);
    }
  }
  return { unresolved };
}

/** lookupDevices, with a warning for every interface that keeps its own name as device. */
export async function resolveDevices(ifaces: InterfaceConfig[], spawner: Spawner, log: Log): Promise<void> {
  const result = await lookupDevices(ifaces, spawner);
  if (result.unresolved.length === 0) return;
  const why = result.failure ?? 'netifd does not report a device for it (interface down?)';
  for (const name of result.unresolved) {
    log.warn(`interface ${name}: device unknown (${why}); probing with device ${quote(name)}. Set option device in /etc/config/wanpulse`);
  }
}
