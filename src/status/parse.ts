// Reading the status file back (`wanpulse status`): it is checked against the shape below before
// it is rendered, so a file of another shape (another version, `{}`, `null`, a hand edit) gives
// one clear message instead of a TypeError. Text loses control characters: the table goes to a
// terminal.
import type { StatusSnapshot } from './model.ts';

/** 's' string, 'n' number, 'b' boolean ('?': or null); [shape]: a list; an object: its fields
 *  (a key ending in '?' may be absent or null). */
type Shape = string | [Shape] | { [key: string]: Shape };

const SNAPSHOT: Shape = {
  version: 's', pid: 'n', backend: 's', startedAt: 'n', updatedAt: 'n',
  uplinks: [{
    iface: 's', device: 's', family: 's', state: 's', since: 'n', rttMs: 'n?', jitterMs: 'n?', lossPct: 'n?',
    targets: [{ ip: 's', up: 'b?', rttMs: 'n?', lossPct: 'n?' }], owner: 's', reason: 's', flaps: 'n', 'probing?': 's', 'intervalMs?': 'n',
    'lastSwitch?': { direction: 's', reason: 's', at: 'n', ok: 'b', 'error?': 's', steps: [{ step: 's', ms: 'n' }], 'routeMs?': 'n', totalMs: 'n' },
  }],
  'lastEvent?': { iface: 's', from: 's', to: 's', reason: 's', detectMs: 'n?', at: 'n' },
  'mqtt?': { enabled: 'b', connected: 'b', lastError: 's?' },
};

// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028-\u202e]/g;
const TYPES: Record<string, string> = { s: 'string', n: 'number', b: 'boolean' };

/** The value cleaned, or a thrown string saying where it differs from the shape. */
function check(v: unknown, shape: Shape, at: string): unknown {
  if (typeof shape === 'string') {
    if (v === null && shape.endsWith('?')) return null;
    const type = TYPES[shape[0]!]!;
    if (typeof v !== type || (type === 'number' && !Number.isFinite(v))) throw `${at} is not a ${type}`;
    return typeof v === 'string' ? v.replace(CONTROLS, '?') : v;
  }
  if (Array.isArray(shape)) {
    if (!Array.isArray(v)) throw `${at} is not a list`;
    return v.map((x, i) => check(x, shape[0], `${at}[${i}]`));
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw `${at} is not an object`;
  const out: Record<string, unknown> = {};
  for (const [key, sub] of Object.entries(shape)) {
    const name = key.replace('?', '');
    const value = (v as Record<string, unknown>)[name];
    if (name !== key && value == null) continue;
    out[name] = check(value, sub, `${at}.${name}`);
  }
  return out;
}

/** The snapshot in `text`, or why it is not one. */
export function parseSnapshot(text: string): { snap: StatusSnapshot } | { error: string } {
  let data: unknown;
  try { data = JSON.parse(text); } catch { return { error: 'is not valid JSON' }; }
  try {
    const snap = check(data, SNAPSHOT, 'status') as StatusSnapshot;
    snap.lastEvent ??= null;
    snap.mqtt ??= null;
    return { snap };
  } catch (e) {
    if (typeof e === 'string') return { error: `has an unexpected shape (${e})` };
    throw e;
  }
}
