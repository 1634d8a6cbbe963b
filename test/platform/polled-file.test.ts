// polledFile(), the PolledFile both adapters return from openPolled(): opened once, then one read
// per call; a handle that stops answering (ENODEV: the device was removed and perhaps recreated)
// is opened again; closing never leaves a handle open, even one whose open was still under way.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ReadError, polledFile, type PolledOps } from '../../src/platform/read-file.ts';

const enc = new TextEncoder();
const err = (code: string) => Object.assign(new Error(code), { code });

/** A file whose text and presence the test sets; handles are numbered, a removed device's old
 *  handles answer ENODEV. */
function fakeFile() {
  const f = { text: '1\n' as string | null, chunk: null as number | null, opens: 0, reads: 0, open: new Set<number>(), generation: 0, gate: null as Promise<void> | null };
  const handles = new Map<number, number>();
  const ops: PolledOps<number> = {
    async open() {
      if (f.gate) await f.gate;
      if (f.text === null) throw err('ENOENT');
      const h = ++f.opens;
      handles.set(h, f.generation);
      f.open.add(h);
      return h;
    },
    read(h, buf, position) {
      f.reads++;
      if (handles.get(h) !== f.generation || f.text === null) throw err('ENODEV');
      const b = enc.encode(f.text).subarray(position, position + (f.chunk ?? Infinity));
      const n = Math.min(b.length, buf.length);
      buf.set(b.subarray(0, n));
      return n;
    },
    async close(h) { f.open.delete(h); },
  };
  /** the device is removed (and its old handles dead); text null: not recreated */
  const recreate = (text: string | null) => { f.generation++; f.text = text; };
  return { f, ops, recreate };
}

test('opened once for many reads: per call one read and the one that finds the end, no stat/open/close per read', async () => {
  const { f, ops } = fakeFile();
  const p = polledFile(ops);
  for (let i = 0; i < 50; i++) {
    f.text = `${i}\n`;
    assert.is(await p.read(), `${i}\n`);
  }
  assert.is(f.opens, 1);
  assert.is(f.reads, 100);
  await p.close();
  assert.is(f.open.size, 0);
});

test('a removed device: its dead handle is closed and the path opened again; null while it is gone', async () => {
  const { f, ops, recreate } = fakeFile();
  const p = polledFile(ops);
  assert.is(await p.read(), '1\n');
  recreate('5\n');
  assert.is(await p.read(), '5\n', 'recreated device read through a new handle');
  assert.is(f.opens, 2);
  assert.equal([...f.open], [2], 'the dead handle was closed');
  recreate(null);
  assert.is(await p.read(), null);
  assert.is(await p.read(), null);
  assert.is(f.open.size, 0);
  recreate('7\n');
  assert.is(await p.read(), '7\n');
  await p.close();
  assert.is(f.open.size, 0);
});

test('larger than the cap: refused (EFBIG), never cut; a later small text is read again', async () => {
  const { f, ops } = fakeFile();
  const p = polledFile(ops, 8);
  f.text = '123456789\n';
  const e = await p.read().then(() => null, (x: unknown) => x);
  assert.instance(e, ReadError);
  assert.is((e as ReadError).code, 'EFBIG');
  assert.is(f.open.size, 0, 'no handle kept after a refusal');
  f.text = '12\n';
  assert.is(await p.read(), '12\n');
  await p.close();
});

test('closed while its first open is under way: the late handle is closed, read answers null', async () => {
  const { f, ops } = fakeFile();
  let release!: () => void;
  f.gate = new Promise((r) => { release = r; });
  const p = polledFile(ops);
  const reading = p.read();
  await p.close();
  release();
  assert.is(await reading, null);
  assert.is(f.opens, 1);
  assert.is(f.open.size, 0);
  assert.is(await p.read(), null);
});

test('a file served in pieces (a procfs table) is read to its end; `enough` stops early', async () => {
  const { f, ops } = fakeFile();
  f.text = Array.from({ length: 40 }, (_, i) => `line ${i}\n`).join('');
  f.chunk = 64;
  const p = polledFile(ops, 4096);
  assert.is(await p.read(), f.text);
  const full = f.reads;
  assert.is(full, Math.ceil(f.text.length / 64) + 1);
  f.reads = 0;
  assert.ok((await p.read((t) => t.includes('line 3\n')))!.startsWith('line 0\nline 1'));
  assert.is(f.reads, 1, 'the first piece had it');
  // more than the cap, piece by piece: refused, never cut
  const { f: f2, ops: ops2 } = fakeFile();
  f2.text = '123456789\n'; f2.chunk = 3;
  await polledFile(ops2, 4).read().then(() => assert.unreachable('over the cap'), (e) => assert.instance(e, ReadError));
});

test('two reads at once share one open', async () => {
  const { f, ops } = fakeFile();
  const p = polledFile(ops);
  assert.equal(await Promise.all([p.read(), p.read()]), ['1\n', '1\n']);
  assert.is(f.opens, 1);
  await p.close();
});

test.run();
