import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { guarded, lineSplitter } from '../../src/platform/lines.ts';

test('joins chunks into whole lines and keeps a partial line for later', () => {
  const lines: string[] = [];
  const s = lineSplitter((l) => lines.push(l));
  s.push('a : [0], 64 by');
  s.push('tes\r\nb : [0]\nc');
  assert.equal(lines, ['a : [0], 64 bytes', 'b : [0]']);
  s.end();
  assert.equal(lines, ['a : [0], 64 bytes', 'b : [0]', 'c']);
});

test('cuts an endless line so memory stays bounded', () => {
  const lines: string[] = [];
  const s = lineSplitter((l) => lines.push(l), 8);
  s.push('x'.repeat(20));
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.length, 8);
});

test('a throwing callback is logged, not thrown into the event loop', () => {
  const seen: string[] = [];
  const orig = console.error;
  console.error = (m: string) => { seen.push(m); };
  try {
    const cb = guarded((x: number) => { if (x > 1) throw new Error(`boom ${x}`); seen.push(`ok ${x}`); });
    cb(1);
    cb(2);
  } finally {
    console.error = orig;
  }
  assert.is(seen[0], 'ok 1');
  assert.match(seen[1]!, /^wanpulse: error: internal: Error: boom 2/);
});

test.run();
