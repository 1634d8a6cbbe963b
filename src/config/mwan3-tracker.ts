// mwan3track's own settings for one mwan3 interface, read the way mwan3track reads them (mwan3's
// defaults where unset; mwan3 validates nothing, so odd values fall back to the default here and
// are only warned about). The mwan3 backend times its park of the tracker from these
// (docs/mwan3-backend.md), and `check-config` warns when they make mwan3track itself fail an
// uplink over on ordinary packet loss: wanpulse cannot stop the tracker's own decisions while
// the uplink is in rotation.
import type { Mwan3TrackerSettings } from './types.ts';
import type { OptionReader } from './values.ts';

/** mwan3track's defaults (its `config_get … <default>` calls) */
export const MWAN3TRACK_DEFAULTS: Omit<Mwan3TrackerSettings, 'targets'> = {
  reliability: 1, count: 1, timeoutS: 4, intervalS: 10, failureIntervalS: 10, recoveryIntervalS: 10,
  down: 5, up: 5, initialState: 'online',
};

/** Loss at which check-config judges the tracker's settings, and the rate worth a warning. */
const LOSS = 0.05;
const WARN_PER_HOUR = 1 / (7 * 24); // about one a week

function whole(r: OptionReader, name: string, fallback: number, min: number): number {
  const v = r.raw(name);
  if (!v) return fallback;
  const n = /^\d+$/.test(v.value.trim()) ? Number(v.value.trim()) : NaN;
  // the value is warned about once, by mwan3-values.ts (every option mwan3track reads)
  if (!Number.isSafeInteger(n) || n < min) return fallback;
  return n;
}

const choose = (n: number, k: number): number => (k === 0 ? 1 : (n * choose(n - 1, k - 1)) / k);

/** Expected false failovers per hour by mwan3track alone on a healthy link with `loss` per ping. */
export function falseFailoversPerHour(s: Mwan3TrackerSettings, loss = LOSS): number {
  const targetFails = loss ** s.count; // a target counts when any of its `count` pings is answered
  let roundFails = 0;
  for (let k = 0; k < Math.min(s.reliability, s.targets + 1); k++) {
    roundFails += choose(s.targets, k) * (1 - targetFails) ** k * targetFails ** (s.targets - k);
  }
  if (s.reliability > s.targets) roundFails = 1;
  const roundsPerHour = 3600 / Math.max(1, s.intervalS);
  return roundsPerHour * (1 - roundFails) * roundFails ** s.down;
}

function rate(perHour: number): string {
  if (perHour >= 1) return `about ${Math.round(perHour)} per hour`;
  if (perHour * 24 >= 1) return `about ${Math.round(perHour * 24)} per day`;
  return `about ${Math.max(1, Math.round(perHour * 24 * 7))} per week`;
}

/** The settings mwan3track runs with for this mwan3 interface section, with check-config's
 *  warnings about them. `targets` = mwan3's own track_ip count. */
export function readMwan3Tracker(r: OptionReader, targets: number): Mwan3TrackerSettings {
  const d = MWAN3TRACK_DEFAULTS;
  const intervalS = whole(r, 'interval', d.intervalS, 1);
  const s: Mwan3TrackerSettings = {
    targets,
    reliability: whole(r, 'reliability', d.reliability, 0),
    count: whole(r, 'count', d.count, 1),
    timeoutS: whole(r, 'timeout', d.timeoutS, 1),
    intervalS,
    failureIntervalS: whole(r, 'failure_interval', intervalS, 1),
    recoveryIntervalS: whole(r, 'recovery_interval', intervalS, 1),
    down: whole(r, 'down', d.down, 1),
    up: whole(r, 'up', d.up, 1),
    initialState: r.str('initial_state') === 'offline' ? 'offline' : 'online',
  };
  const perHour = falseFailoversPerHour(s);
  if (perHour >= WARN_PER_HOUR) {
    r.warn(r.lineOf('down'), `mwan3track's own settings (interval ${s.intervalS} s, timeout ${s.timeoutS} s, ` +
      `down ${s.down}, up ${s.up}, ${s.targets} track_ip, reliability ${s.reliability}) make mwan3track itself ` +
      `fail this uplink over on ordinary packet loss: at 5 % loss ${rate(perHour)}, which wanpulse cannot prevent ` +
      '(mwan3track acts on its own while the uplink is in rotation). Beside wanpulse, mwan3track is only the slow ' +
      "backup: use mwan3's defaults (interval 10, timeout 4, down 5, up 5), or with two or more track_ip at least down 3");
  }
  if (s.initialState === 'offline') {
    r.warn(r.lineOf('initial_state'), "initial_state 'offline': after every hand-back mwan3track starts from offline " +
      `and sends its own 'connected' ${s.up} round(s) later (a second rebuild of mwan3's rules); use 'online' beside wanpulse`);
  }
  return s;
}
