// The project's UTF-8 decoder against the WHATWG one Node ships (TextDecoder, which also drops a
// leading BOM and replaces each maximal invalid subpart with one U+FFFD): whole and in random
// chunks, on random bytes that mix ASCII runs, valid multi-byte characters and invalid bytes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Utf8Decoder, decodeUtf8 } from '../../src/platform/utf8.ts';

/** a small deterministic PRNG (mulberry32), so a failure can be replayed */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const enc = new TextEncoder();
const PIECES = ['a', 'fping: 10.0.0.1 : [3], 64 bytes, 1.23 ms (1.30 avg, 0% loss)\n', 'ä', '€', '😀', '\ufeff', '\r\n'];

function randomBytes(r: () => number, n: number): Uint8Array {
  const out: number[] = [];
  while (out.length < n) {
    const k = r();
    if (k < 0.6) out.push(...enc.encode(PIECES[Math.floor(r() * PIECES.length)]!));
    else if (k < 0.8) out.push(Math.floor(r() * 256)); // any byte: invalid ones too
    else out.push(0x80 + Math.floor(r() * 0x40), 0xe0 + Math.floor(r() * 0x20)); // stray continuation / lead
  }
  return new Uint8Array(out.slice(0, n));
}

test('whole texts decode as WHATWG TextDecoder does (1000 random texts)', () => {
  const r = rng(11);
  for (let n = 0; n < 1000; n++) {
    const bytes = randomBytes(r, Math.floor(r() * 200));
    assert.is(decodeUtf8(bytes), new TextDecoder().decode(bytes), `text ${n}: ${[...bytes].join(',')}`);
  }
});

test('chunked decoding (streamed, as child output arrives) equals whole decoding (500 random splits)', () => {
  const r = rng(23);
  for (let n = 0; n < 500; n++) {
    const bytes = randomBytes(r, 1 + Math.floor(r() * 300));
    const d = new Utf8Decoder();
    let text = '';
    for (let at = 0; at < bytes.length;) {
      const len = 1 + Math.floor(r() * 40);
      text += d.decode(bytes.subarray(at, at + len), true);
      at += len;
    }
    text += d.decode(new Uint8Array(0));
    assert.is(text, new TextDecoder().decode(bytes), `split ${n}: ${[...bytes].join(',')}`);
  }
});

test('a long ASCII text (more than one flush) and a BOM only at the very start', () => {
  const long = 'x'.repeat(20_000) + '\n';
  assert.is(decodeUtf8(enc.encode(long)), long);
  assert.is(decodeUtf8(enc.encode('\ufeffab\ufeffc')), 'ab\ufeffc');
  const d = new Utf8Decoder();
  assert.is(d.decode(enc.encode('ab'), true) + d.decode(enc.encode('\ufeffc'), true), 'ab\ufeffc', 'a BOM after ASCII in a later chunk is kept');
});

test.run();
