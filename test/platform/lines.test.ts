import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lineSplitter } from '../../src/platform/lines.ts';

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

test.run();
