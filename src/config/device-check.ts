// The device each tracked interface's probes are bound to (fping -I) must be one Linux can have:
// at most 15 characters (IFNAMSIZ 16 with the NUL). An mwan3 interface without a known device is
// probed on a device of its own name, and a name of 16+ characters can never be one: fping then
// fails forever with "SO_BINDTODEVICE: No such device" and the uplink stays unknown. That is an
// error, unless netifd creates the device at run time (PPPoE, QMI …) and ubus is asked at start.
import { lookupDevices } from './device.ts';
import { quote } from './quote.ts';
import type { ConfigProblem, InterfaceConfig } from './types.ts';
import type { UciSection } from './uci.ts';
import { isDeviceName } from './values.ts';
import type { Spawner } from '../platform/ports.ts';

/** Protocols whose device netifd names itself from the interface (see interfaces.ts). */
const FIXED_PROTOS = ['static', 'dhcp', 'dhcpv6', 'none', 'wireguard'];

/** Interfaces of the network config whose device only netifd knows once it is up. */
function runtimeDeviceInterfaces(network: UciSection[]): Set<string> {
  const out = new Set<string>();
  for (const s of network) {
    if (s.type !== 'interface' || s.name === null) continue;
    const proto = s.options.get('proto')?.values.at(-1)?.value;
    if (proto !== undefined && !FIXED_PROTOS.includes(proto)) out.add(s.name);
  }
  return out;
}

export interface DeviceCheckInput {
  interfaces: InterfaceConfig[];
  /** given at daemon start: devices only netifd knows are looked up with ubus */
  spawner?: Spawner;
  mwan3Sections: UciSection[];
  mwan3Path: string;
  networkSections: UciSection[];
  problems: ConfigProblem[];
}

const USABLE = 'a device name has at most 15 characters of A–Z a–z 0–9 _ . @ -';

export async function checkDevices(input: DeviceCheckInput): Promise<void> {
  const { interfaces, problems, mwan3Path } = input;
  const lineOf = (name: string) => input.mwan3Sections.find((s) => s.type === 'interface' && s.name === name)?.line ?? 0;
  const push = (name: string, severity: ConfigProblem['severity'], message: string) =>
    problems.push({ file: mwan3Path, line: lineOf(name), severity, message: `interface ${quote(name)}: ${message}` });
  if (!input.spawner) {
    // check-config: netifd is not asked
    const runtime = runtimeDeviceInterfaces(input.networkSections);
    for (const i of interfaces) {
      if (i.deviceKnown || isDeviceName(i.device)) continue;
      if (runtime.has(i.name)) push(i.name, 'warning', `its device is looked up from netifd at start; the name itself cannot be a device (${USABLE}): if netifd does not know it then, wanpulse does not start (set option device)`);
      else push(i.name, 'error', `no device is known for it and the name cannot be one (${USABLE}): set option device in /etc/config/wanpulse`);
    }
    return;
  }
  if (problems.some((p) => p.severity === 'error')) return;
  const found = await lookupDevices(interfaces, input.spawner);
  for (const name of found.unresolved) {
    // only mwan3 interfaces can be unresolved: backend route requires a device
    const why = found.failure ?? 'netifd reports no l3_device';
    if (isDeviceName(name)) push(name, 'warning', `device unknown (${why}); probing with device ${quote(name)} (set option device)`);
    else push(name, 'error', `device unknown (${why}) and the name cannot be one (${USABLE}): set option device in /etc/config/wanpulse`);
  }
}
