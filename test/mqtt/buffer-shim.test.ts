// build/shims/buffer.cjs stands in for the npm `buffer` polyfill in dist/wanpulse.js. Two checks:
// every method mqtt-packet and bl call on it gives what Node's own Buffer gives for the same input;
// and every MQTT packet wanpulse sends or receives goes through generate → parser inside a bundle
// that runs without a Buffer global, producing the same bytes and packets as mqtt-packet on Node.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
// @ts-expect-error plain .mjs build helper without type declarations
import { shimAliases } from '../../build/shims/aliases.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const Shim = (createRequire(import.meta.url)('../../build/shims/buffer.cjs') as { Buffer: typeof Buffer }).Buffer;

/** What a call gave, in a form assert.equal compares: bytes as arrays, a throw as its error name. */
function outcome(fn: () => unknown): unknown {
  const plain = (v: unknown): unknown => (v instanceof Uint8Array ? { bytes: Array.from(v) } : Array.isArray(v) ? v.map(plain) : v);
  try { return plain(fn()); } catch (err) { return { threw: (err as Error).name }; }
}

// ASCII, 2/3/4-byte characters, a BOM, and lone surrogates (which both encode as U+FFFD).
const STRINGS = ['', 'a/b', 'héllo', '€', '日本語', '𝄞', 'x\ud800y', 'a\udc00', '\ud83d', '\ufeffbom', 'wän-€-状态-𝄞'];
const BAD_UTF8 = [[0xff], [0xe2, 0x82], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf0, 0x9d, 0x84], [0xf4, 0x90, 0x80, 0x80],
  [0x61, 0x80, 0x62], [0xef, 0xbb, 0xbf, 0x41], [0xef, 0xbb, 0xbf]];

const cases: Array<[string, (B: typeof Buffer) => unknown[]]> = [
  ['from(array) keeps the low byte of each number', (B) => [outcome(() => B.from([0, 1, 127, 128, 255, 256, -1, 1.7, 513]))]],
  ['from(string) encodes UTF-8', (B) => STRINGS.flatMap((s) => [
    outcome(() => B.from(s)), outcome(() => B.from(s, 'utf8')), outcome(() => B.from(s, 'utf-8')),
  ])],
  ['byteLength counts UTF-8 bytes of strings and the size of byte views', (B) => [
    ...STRINGS.map((s) => B.byteLength(s)),
    B.byteLength(new Uint8Array(7)), B.byteLength(B.from([1, 2, 3]).subarray(1)), B.byteLength(new ArrayBuffer(5)),
  ]],
  ['from(ArrayBuffer, offset, length) is a view on that memory', (B) => {
    const ab = new Uint8Array([1, 2, 3, 4, 5, 6]).buffer;
    const views = [B.from(ab, 2, 3), B.from(ab, 4), B.from(ab)];
    new Uint8Array(ab)[3] = 99;
    return views.map((v) => outcome(() => v));
  }],
  ['from(Uint8Array) copies', (B) => {
    const src = new Uint8Array([1, 2, 3]);
    const copy = B.from(src);
    const ofView = B.from(B.from([7, 8, 9]).subarray(1));
    src[0] = 42;
    return [outcome(() => copy), outcome(() => ofView)];
  }],
  ['alloc is zero-filled; allocUnsafe has the asked length', (B) => [
    outcome(() => B.alloc(0)), outcome(() => B.alloc(3)), B.allocUnsafe(4).length, B.allocUnsafe(0).length,
  ]],
  ['isBuffer accepts its buffers and their slices, not plain bytes', (B) => [
    B.isBuffer(B.from([1])), B.isBuffer(B.alloc(2).subarray(0, 1)), B.isBuffer(B.alloc(2).slice(1)), B.isBuffer(B.concat([B.from([1])])),
    B.isBuffer(new Uint8Array(1)), B.isBuffer('x'), B.from('x') instanceof B,
  ]],
  ['concat joins, truncates or zero-pads to totalLength', (B) => {
    const parts = [B.from([1, 2]), B.from([3]), B.alloc(0), B.from('é')];
    return [undefined, 3, 4, 8].map((total) => outcome(() => B.concat(parts, total))).concat(outcome(() => B.concat([])));
  }],
  ['write puts UTF-8 at an offset and never a partial character', (B) => {
    const calls: Array<(b: Buffer) => number> = [
      (b) => b.write('héllo', 0), (b) => b.write('héllo', 2), (b) => b.write('€€€', 1), (b) => b.write('𝄞x', 5),
      (b) => b.write('ab', 8), (b) => b.write('abc', 1, 2), (b) => b.write('x', 'utf8'), (b) => b.write('x', 9),
      (b) => b.write('x\ud800', 3), (b) => b.write(''),
    ];
    return calls.map((call) => { const b = B.alloc(8).fill(0xaa); return outcome(() => [call(b), b]); });
  }],
  ['writeUInt8/16BE/32BE at the edges of their ranges and of the buffer', (B) => {
    const calls: Array<[keyof Buffer & `writeUInt${string}`, number[], number[]]> = [
      ['writeUInt8', [0, 1, 127, 128, 255, 256, -1, 1.9], [0, 5, 6]],
      ['writeUInt16BE', [0, 255, 256, 0x7fff, 0x8000, 0xffff, 0x10000, -1], [0, 4, 5]],
      ['writeUInt32BE', [0, 0xff, 0x100, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 2 ** 32, -1], [0, 2, 3]],
    ];
    return calls.flatMap(([method, values, offsets]) => values.flatMap((v) => offsets.map((o) => {
      const b = B.alloc(6).fill(0xaa);
      return outcome(() => [(b[method] as (v: number, o: number) => number)(v, o), b]);
    })));
  }],
  ['readUInt8/16BE/32BE at every offset, past the end included', (B) => {
    const b = B.from([0x00, 0xff, 0x80, 0x00, 0x7f, 0xff, 0xff, 0xff, 0xff, 0x01]);
    const offsets = Array.from({ length: b.length + 1 }, (_, i) => i);
    return [b.readUInt8(), b.readUInt16BE(), b.readUInt32BE(),
      ...offsets.flatMap((o) => [outcome(() => b.readUInt8(o)), outcome(() => b.readUInt16BE(o)), outcome(() => b.readUInt32BE(o))])];
  }],
  ['toString decodes UTF-8, broken sequences and a BOM included, over a range', (B) => [
    ...STRINGS.map((s) => Array.from(Buffer.from(s))), ...BAD_UTF8]
    .flatMap((bytes) => {
      const b = B.from(bytes);
      return [b.toString(), b.toString('utf8'), b.toString('utf-8', 1), b.toString('utf8', 1, 3), b.toString('utf8', 5, 2),
        b.toString(undefined, -3, 100), String(b)];
    })],
  ['slice and subarray share memory with the buffer, negative indexes included', (B) => {
    const b = B.from([1, 2, 3, 4, 5]);
    const s = b.slice(1, 4);
    const u = b.subarray(-2);
    s[0] = 9;
    u[1] = 8;
    return [outcome(() => b), outcome(() => s), outcome(() => u), outcome(() => b.slice(-3, -1)), outcome(() => b.slice(4, 2))];
  }],
  ['copy clamps to both buffers and returns the bytes copied', (B) => {
    const args: Array<[number?, number?, number?]> = [
      [], [2], [0, 2], [0, 2, 4], [3, 0, 6], [5], [0, 6], [0, 7], [0, 3, 1], [1, 0, 100], [-1], [0, -1],
    ];
    const out = args.map((a) => {
      const target = B.alloc(5).fill(0xaa);
      return outcome(() => [B.from([1, 2, 3, 4, 5, 6]).copy(target, ...a), target]);
    });
    const overlapping = B.from([1, 2, 3, 4, 5, 6]);
    const plainTarget = new Uint8Array(3);
    return [...out, outcome(() => [overlapping.copy(overlapping, 2, 0, 4), overlapping.copy(overlapping, 0, 3), overlapping]),
      outcome(() => [B.from('héllo').copy(plainTarget, 1), plainTarget])];
  }],
];

for (const [name, run] of cases) test(`shim like Node: ${name}`, () => assert.equal(run(Shim), run(Buffer)));

test('the shim refuses encodings other than UTF-8 instead of producing other bytes', () => {
  assert.throws(() => Shim.from('6162', 'hex'), (e: Error) => e instanceof TypeError);
  assert.throws(() => Shim.byteLength('ab', 'latin1'), (e: Error) => e instanceof TypeError);
  assert.throws(() => Shim.from('ab').toString('base64'), (e: Error) => e instanceof TypeError);
  assert.throws(() => Shim.alloc(4).write('ab', 0, 2, 'hex'), (e: Error) => e instanceof TypeError);
  assert.throws(() => Shim.from(3 as never), (e: Error) => e instanceof TypeError);
});

// The entry runs twice: bundled with the shim and without a Buffer global (as under txiki.js), and
// unbundled in this process on Node's Buffer as the reference. Packets are shown as hex, or as
// length + FNV-1a hash when large, so a mismatch stays readable.
const ENTRY = (codecPath: string) => `
import { createDecoder, encodePacket } from ${JSON.stringify(codecPath)};
const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const fnv = (b) => { let h = 0x811c9dc5; for (const x of b) h = Math.imul(h ^ x, 0x01000193) >>> 0; return h.toString(16); };
const show = (b) => (b.length <= 200 ? hex(b) : b.length + ' bytes, fnv1a ' + fnv(b));
const unit = 'wän-€-状态-𝄞 ';
const big = unit.repeat(Math.ceil(100 * 1024 / new TextEncoder().encode(unit).length));
const topic = 'wanpulse/rüter-1/uplink/wan-€/状态';
const packets = [
  { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'wanpulse-r1', keepalive: 30,
    username: 'hä', password: 'pw-€', will: { topic: 'wanpulse/r1/status', payload: 'offline', qos: 1, retain: true } },
  { cmd: 'connack', sessionPresent: false, returnCode: 0 },
  { cmd: 'connack', sessionPresent: true, returnCode: 5 },
  { cmd: 'publish', topic, payload: 'online', qos: 0, retain: true, dup: false },
  { cmd: 'publish', topic, payload: big, qos: 0, retain: true, dup: false },
  { cmd: 'publish', topic, payload: big, qos: 1, messageId: 65535, retain: true, dup: false },
  { cmd: 'publish', topic: 'a', payload: '', qos: 1, messageId: 1, retain: false, dup: true },
  { cmd: 'puback', messageId: 65535 },
  { cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: 'homeassistant/status', qos: 1 }, { topic: 'wanpulse/+/状态', qos: 0 }] },
  { cmd: 'suback', messageId: 2, granted: [1, 0, 128] },
  { cmd: 'pingreq' }, { cmd: 'pingresp' }, { cmd: 'disconnect' },
];
function decodeAll(chunks) {
  const got = [];
  const errors = [];
  const decoder = createDecoder((p) => got.push(p), (e) => errors.push(e.message));
  for (const c of chunks) decoder.push(c);
  return { got, errors };
}
const encoded = packets.map((p) => encodePacket(p));
const whole = decodeAll(encoded);
// One stream cut into uneven chunks, so headers, lengths and 16-bit fields straddle chunk edges.
const stream = new Uint8Array(encoded.reduce((n, b) => n + b.length, 0));
let at = 0;
for (const b of encoded) { stream.set(b, at); at += b.length; }
const sizes = [1, 2, 3, 5, 8, 13, 4093];
const chunks = [];
for (let pos = 0, i = 0; pos < stream.length; i++) { const n = sizes[i % sizes.length]; chunks.push(stream.slice(pos, pos + n)); pos += n; }
const chunked = decodeAll(chunks);
const norm = (list) => JSON.parse(JSON.stringify(list, function (key, value) {
  const raw = this[key];
  return raw instanceof Uint8Array ? show(raw) : value;
}));
const sentPublishes = packets.filter((p) => p.cmd === 'publish');
export const result = {
  globalBuffer: typeof globalThis.Buffer,
  encoded: encoded.map(show),
  decoded: norm(whole.got),
  chunkedSameAsWhole: JSON.stringify(norm(chunked.got)) === JSON.stringify(norm(whole.got)),
  errors: [...whole.errors, ...chunked.errors],
  publishes: whole.got.filter((p) => p.cmd === 'publish').map((p, i) => ({
    topic: p.topic, payloadMatches: new TextDecoder().decode(p.payload) === sentPublishes[i].payload, bytes: p.payload.length,
  })),
};
`;

interface RoundTrip {
  globalBuffer: string; encoded: string[]; decoded: Array<{ cmd: string }>; chunkedSameAsWhole: boolean; errors: string[];
  publishes: Array<{ topic: string; payloadMatches: boolean; bytes: number }>;
}

test('bundled with the shim and no Buffer global, every MQTT packet wanpulse uses round-trips like on Node', async () => {
  const dir = mkdtempSync(join(tmpdir(), `wanpulse-buffer-shim-${process.pid}-`));
  try {
    const entry = join(dir, 'roundtrip-entry.mjs');
    writeFileSync(entry, ENTRY(join(root, 'src/mqtt/codec.ts')));
    const outfile = join(dir, 'roundtrip.mjs');
    const built = await build({
      entryPoints: [entry], outfile, bundle: true, format: 'esm', platform: 'neutral', target: 'es2022', mainFields: ['module', 'main'],
      external: ['node:*'], minify: true, lineLimit: 200, alias: shimAliases as Record<string, string>, logLevel: 'silent',
      metafile: true, absWorkingDir: root, nodePaths: [join(root, 'node_modules')],
    });
    const inputs = Object.keys(built.metafile.inputs);
    assert.ok(inputs.some((p) => p.endsWith('build/shims/buffer.cjs')), 'the shim is bundled');
    assert.equal(inputs.filter((p) => /node_modules\/(buffer|base64-js|ieee754)\//.test(p)), [], 'the npm buffer polyfill is not');

    const runner = `delete globalThis.Buffer; delete globalThis.process;
      const { result } = await import(${JSON.stringify(pathToFileURL(outfile).href)}); console.log(JSON.stringify(result));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', runner], { encoding: 'utf8', timeout: 30_000 });
    assert.is(r.status, 0, r.stderr);
    const bundled = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as RoundTrip;
    const reference = (await import(pathToFileURL(entry).href) as { result: RoundTrip }).result;

    assert.is(bundled.globalBuffer, 'undefined');
    assert.is(reference.globalBuffer, 'function');
    assert.equal(bundled.errors, []);
    assert.ok(bundled.chunkedSameAsWhole, 'decoding from small chunks gives the same packets');
    assert.equal(bundled.decoded.map((p) => p.cmd), ['connect', 'connack', 'connack', 'publish', 'publish', 'publish', 'publish',
      'puback', 'subscribe', 'suback', 'pingreq', 'pingresp', 'disconnect']);
    const topic = 'wanpulse/rüter-1/uplink/wan-€/状态';
    assert.equal(bundled.publishes.map((p) => [p.topic, p.payloadMatches]), [[topic, true], [topic, true], [topic, true], ['a', true]]);
    assert.ok(bundled.publishes.some((p) => p.bytes > 100 * 1024), 'a payload over 100 KB went through');
    // Same wire bytes and same parsed packets as mqtt-packet on Node's Buffer.
    assert.equal(bundled.encoded, reference.encoded);
    assert.equal(bundled.decoded, reference.decoded);
    assert.equal({ ...bundled, globalBuffer: '' }, { ...reference, globalBuffer: '' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
