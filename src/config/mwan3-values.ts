// mwan3's own tracker (mwan3track, a shell script) reads these options of every interface it runs
// for and uses them in shell arithmetic, `[ -lt ]` tests, `sleep` and ping's argv, without
// checking them: `option interval 'fast'` makes its loop fail on every turn. wanpulse does not
// use them, but mwan3track keeps running beside it (and takes over whenever wanpulse hands an
// interface back), so check-config warns about values mwan3track would misread.
import { quote } from './quote.ts';
import type { ConfigProblem } from './types.ts';
import { sectionRef, uciGet, uciList, type UciSection } from './uci.ts';
import { parseBool } from './values.ts';

/** mwan3track's integer options with the range that makes sense to it (seconds, counts, %). */
const INTEGERS: [string, number, number][] = [
  ['count', 1, 100],
  ['timeout', 1, 3600],
  ['interval', 1, 86_400],
  ['failure_interval', 1, 86_400],
  ['recovery_interval', 1, 86_400],
  ['down', 1, 1000],
  ['up', 1, 1000],
  ['size', 0, 65_507],
  ['max_ttl', 1, 255],
  ['failure_latency', 0, 600_000],
  ['recovery_latency', 0, 600_000],
  ['failure_loss', 0, 100],
  ['recovery_loss', 0, 100],
];

/** read with config_get_bool: any other word silently becomes the default */
const BOOLEANS = ['check_quality', 'keep_failure_interval', 'httping_ssl'];

/** Warnings for the interfaces mwan3track runs for (enabled, with a track_ip). */
export function checkMwan3TrackerValues(sections: UciSection[], file: string, problems: ConfigProblem[]): void {
  for (const s of sections) {
    if (s.type !== 'interface' || s.name === null) continue;
    if (parseBool(uciGet(s, 'enabled')?.value ?? '0') !== true || uciList(s, 'track_ip').length === 0) continue;
    const warn = (line: number, message: string) => problems.push({
      file, line, severity: 'warning', message: `mwan3 interface ${sectionRef(s)}: ${message} (mwan3's own tracker reads it)`,
    });
    for (const [name, min, max] of INTEGERS) {
      const v = uciGet(s, name);
      if (!v) continue;
      // shell arithmetic: decimal digits only (a leading 0 means octal to ash)
      const ok = /^(0|[1-9][0-9]{0,8})$/.test(v.value) && Number(v.value) >= min && Number(v.value) <= max;
      if (!ok) warn(v.line, `${name} ${quote(v.value)} is not a whole number from ${min} to ${max}`);
    }
    for (const name of BOOLEANS) {
      const v = uciGet(s, name);
      if (v && parseBool(v.value) === null) warn(v.line, `${name} ${quote(v.value)} is not a boolean, so it is ignored`);
    }
  }
}
