import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createBackoff } from '../../src/mqtt/backoff.ts';

test('doubles from the initial delay up to the cap; reset starts again', () => {
  const b = createBackoff({ initialMs: 1000, maxMs: 30_000, unreachableMaxMs: 2000, random: () => 1 });
  assert.equal(Array.from({ length: 8 }, () => b.next()), [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  b.reset();
  assert.is(b.next(), 1000);
});

test('jitter keeps each delay between half and the full value', () => {
  const low = createBackoff({ initialMs: 1000, maxMs: 30_000, unreachableMaxMs: 2000, random: () => 0 });
  assert.equal([low.next(), low.next(), low.next()], [500, 1000, 2000]);
});

test.run();
