// Turns one line of `fping -l` output into a result. Pure.
// Formats (fping 5.x loop mode):
//   "10.0.0.1 : [12], 64 bytes, 1.23 ms (1.10 avg, 0% loss)"
//   "10.0.0.1 : [13], timed out (1.10 avg, 7% loss)"          (fping ≥ 5.2 with timeouts shown)
//   "10.0.0.1 : duplicate for [12], 64 bytes, 1.30 ms"         (ignored)
//   "[1700000000.12345] 10.0.0.1 : [12], …"                    (-D timestamp prefix, tolerated)
// Anything else (ICMP unreachable notices, stats) is `other`.

export type FpingLine =
  | { kind: 'reply'; target: string; seq: number; rttMs: number }
  | { kind: 'timeout'; target: string; seq: number }
  | { kind: 'other' };

const OTHER: FpingLine = { kind: 'other' };
const LINE = /^(?:\[\d+(?:\.\d+)?\]\s+)?(\S+)\s+:\s+\[(\d+)\],\s+(?:\d+ bytes,\s+([\d.]+) ms|(timed out))/;

export function parseFpingLine(line: string): FpingLine {
  const m = LINE.exec(line);
  if (!m) return OTHER;
  const target = m[1]!;
  const seq = Number(m[2]);
  if (!Number.isSafeInteger(seq)) return OTHER;
  if (m[4]) return { kind: 'timeout', target, seq };
  const rttMs = Number(m[3]);
  if (!Number.isFinite(rttMs)) return OTHER;
  return { kind: 'reply', target, seq, rttMs };
}
