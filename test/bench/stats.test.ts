import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { perHour, percentile, summarize } from './stats.ts';

test('median, p95 and max are values that were observed (nearest rank)', () => {
  const v = Array.from({ length: 20 }, (_, i) => (i + 1) * 10); // 10 … 200
  assert.equal(summarize(v), { n: 20, median: 100, p95: 190, max: 200 });
});

test('runs without a measurement (null) are left out, not counted as zero', () => {
  assert.equal(summarize([null, 300, null, 100]), { n: 2, median: 100, p95: 300, max: 300 });
  assert.equal(percentile([null], 50), null);
});

test('a count over three minutes extrapolates to a rate per hour', () => {
  assert.is(perHour(1, 180_000), 20);
  assert.is(perHour(0, 0), 0);
});

test.run();
