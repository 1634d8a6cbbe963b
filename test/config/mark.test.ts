import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultMark, idToMark, maskBits, maxInterfaces, parseMask } from '../../src/config/mark.ts';

test('mmx_mask 0x3F00 (mwan3 default): id n is n << 8, 60 interfaces, reserved marks on top', () => {
  const cases: [number, number][] = [[1, 0x100], [2, 0x200], [3, 0x300], [10, 0xa00], [60, 0x3c00]];
  for (const [id, mark] of cases) assert.is(idToMark(id, 0x3f00), mark, `id ${id}`);
  assert.is(maskBits(0x3f00), 6);
  assert.is(maxInterfaces(0x3f00), 60);
  // the three ids above the last interface are mwan3's blackhole, unreachable and default marks
  assert.is(idToMark(61, 0x3f00), 0x3d00);
  assert.is(idToMark(62, 0x3f00), 0x3e00);
  assert.is(idToMark(63, 0x3f00), 0x3f00);
  assert.is(defaultMark(0x3f00), 0x3f00);
});

test('an odd mask (0xF0F0) spreads the id over its set bits, lowest first', () => {
  const cases: [number, number][] = [
    [1, 0x0010], [2, 0x0020], [3, 0x0030], [15, 0x00f0], [16, 0x1000], [17, 0x1010], [0xfb, 0xf0b0],
  ];
  for (const [id, mark] of cases) assert.is(idToMark(id, 0xf0f0), mark, `id ${id}`);
  assert.is(maxInterfaces(0xf0f0), 252);
  assert.is(idToMark(0xff, 0xf0f0), 0xf0f0);
});

test('masks with the top bit set stay unsigned', () => {
  assert.is(idToMark(1, 0x80000000), 0x80000000);
  assert.is(maxInterfaces(0xff000000), 252);
});

test('a mask too small for any interface', () => {
  assert.is(maxInterfaces(0x1), 0);
  assert.is(maxInterfaces(0x3), 0);
  assert.is(maxInterfaces(0x7), 4);
});

test('parseMask reads hex and decimal and rejects the rest', () => {
  const cases: [string, number | null][] = [
    ['0x3F00', 0x3f00], ['0x3f00', 0x3f00], ['16128', 0x3f00], [' 0xff ', 0xff],
    ['0', null], ['0x', null], ['3F00', null], ['-1', null], ['0x1FFFFFFFF', null], ['0x3F00 0xF', null],
  ];
  for (const [text, want] of cases) assert.is(parseMask(text), want, text);
});

test.run();
