// Leveled logging to stderr (procd forwards stderr to logd, so `logread -e wanpulse` shows it).
// No timestamps of our own: syslog adds them. Debug messages are built lazily.
import type { Log, LogLevel } from './ports.ts';

const ORDER: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export interface LogSink { (line: string): void }

export function makeLog(level: LogLevel, sink: LogSink, prefix = ''): Log & { setLevel(l: LogLevel): void } {
  let max = ORDER[level];
  const emit = (l: LogLevel, msg: string) => {
    if (ORDER[l] <= max) sink(`${prefix}${l}: ${msg}\n`);
  };
  return {
    setLevel(l: LogLevel) { max = ORDER[l]; },
    error: (m) => emit('error', m),
    warn: (m) => emit('warn', m),
    info: (m) => emit('info', m),
    debug: (m) => { if (max >= ORDER.debug) emit('debug', m()); },
  };
}

/** A Log that records lines, for tests. */
export function memoryLog(): Log & { lines: string[] } {
  const lines: string[] = [];
  const log = makeLog('debug', (l) => lines.push(l.trimEnd()));
  return Object.assign(log, { lines });
}
