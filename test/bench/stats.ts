// Small statistics for the bench: nearest-rank percentiles over the observed values.
export interface Summary {
  n: number;
  median: number | null;
  p95: number | null;
  max: number | null;
}

/** Nearest-rank percentile (p in 0..100) of the finite values; null when there are none. */
export function percentile(values: (number | null)[], p: number): number | null {
  const v = values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * v.length));
  return v[Math.min(rank, v.length) - 1]!;
}

export function summarize(values: (number | null)[]): Summary {
  const n = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).length;
  return { n, median: percentile(values, 50), p95: percentile(values, 95), max: percentile(values, 100) };
}

/** Events per hour from a count over durationMs. */
export function perHour(count: number, durationMs: number): number {
  return durationMs > 0 ? (count * 3_600_000) / durationMs : 0;
}
