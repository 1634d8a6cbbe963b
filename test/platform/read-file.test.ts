// readAllText(): with the size stat gave, a regular file is one read (a short read is its end);
// without one (/proc says 0) or when the file grew since stat, it reads on until the end; more
// than maxBytes is refused, never cut.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ReadError, readAllText } from '../../src/platform/read-file.ts';

/** A reader over `text` that hands out at most `chunk` bytes per call and counts the calls. */
function reader(text: string, chunk = Infinity) {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  const r = {
    calls: 0,
    read: async (buf: Uint8Array) => {
      r.calls++;
      const n = Math.min(buf.length, bytes.length - at, chunk);
      buf.set(bytes.subarray(at, at + n));
      at += n;
      return n === 0 ? null : n;
    },
  };
  return r;
}

const refused = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e);

test('size from stat: one read, whether the text fills it or is shorter (sysfs says 4096)', async () => {
  const exact = reader('config globals\n');
  assert.is(await readAllText(exact.read, 4096, 15), 'config globals\n');
  assert.is(exact.calls, 1);
  const sysfs = reader('17\n');
  assert.is(await readAllText(sysfs.read, 4096, 4096), '17\n');
  assert.is(sysfs.calls, 1);
});

test('a file that grew after stat is read to its end; past maxBytes it is refused', async () => {
  const grown = reader('x'.repeat(40_000));
  assert.is(await readAllText(grown.read, 1 << 20, 100), 'x'.repeat(40_000));
  const tooBig = await refused(readAllText(reader('x'.repeat(5000)).read, 4096, 100));
  assert.instance(tooBig, ReadError);
  assert.is((tooBig as ReadError).code, 'EFBIG');
});

test('size 0 (/proc) reads on in chunks until the end', async () => {
  const proc = reader('Name:\tnode\nPid:\t1\n'.repeat(200), 1000);
  assert.is(await readAllText(proc.read, 1 << 20), 'Name:\tnode\nPid:\t1\n'.repeat(200));
  assert.ok(proc.calls > 1);
});

test('a size over maxBytes is refused before anything is read', async () => {
  const r = reader('x'.repeat(10));
  const e = await refused(readAllText(r.read, 4096, 5000));
  assert.instance(e, ReadError);
  assert.is((e as Error).message, 'is larger than 4 KiB');
  assert.is(r.calls, 0);
});

test.run();
