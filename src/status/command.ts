// `wanpulse status`: a chunk of its own (dist/wanpulse-status.js), imported only by that command,
// so the daemon's bundle never carries the status file's parser and renderer.
import type { Platform } from '../platform/ports.ts';
import { fromSystemError } from '../platform/read-file.ts';
import { parseSnapshot } from './parse.ts';
import { renderStatus } from './render.ts';

/** Prints the daemon's status file (as text, or as it is with `json`): exit 0, or 3 when it is
 *  missing, unreadable or of an unexpected shape. */
export async function runStatus(p: Platform, runDir: string, json: boolean, out: (t: string) => void, err: (t: string) => void): Promise<number> {
  const path = `${runDir}/status.json`;
  let text: string | null;
  try { text = await p.fs.readText(path); } catch (e) { err(`wanpulse: the status file ${path} cannot be read: ${fromSystemError(e).message}`); return 3; }
  if (text === null) { err(`wanpulse: no status at ${path}: is the daemon running? (service wanpulse status; logread -e wanpulse)`); return 3; }
  const parsed = parseSnapshot(text);
  if ('error' in parsed) { err(`wanpulse: the status file ${path} ${parsed.error}: is another wanpulse version running? (restart it: service wanpulse restart)`); return 3; }
  if (json) { out(text.trimEnd()); return 0; }
  out(renderStatus(parsed.snap, p.clock.wallMs()));
  return 0;
}
