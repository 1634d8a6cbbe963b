// The contract of `uci batch` as setup uses it. Every generated line is one of the commands
// OpenWrt's uci accepts in batch mode, with uci's quoting; the in-memory model applies them as
// the real uci did in the hand check (docs/setup.md: same files, byte for byte, for the main
// router and an uplink router, first and second run). uci itself cannot run in the tests.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { applyBatch, batchWords, parsePackage, serialize, type Packages } from '../../src/setup/uci-model.ts';
import { fixture, router } from './harness.ts';

const NAME = '[A-Za-z0-9_]+';
const REF = `(?:${NAME}|@${NAME}\\[\\d+\\])`;
const VALUE = "'(?:[^']|'\\\\'')*'";
const LINE = new RegExp([
  `^set ${NAME}\\.${NAME}=${NAME}$`,
  `^set ${NAME}\\.${REF}=${NAME}$`,
  `^(?:set|add_list|del_list) ${NAME}\\.${REF}\\.${NAME}=${VALUE}$`,
  `^reorder ${NAME}\\.${NAME}=\\d+$`,
  `^delete ${NAME}\\.${NAME}$`,
  `^commit ${NAME}$`,
  '^#.*$', '^$',
].join('|'));

test('every generated line is a uci batch command with uci quoting', async () => {
  const r = router();
  assert.is((await r.run(['--out', '/out'])).code, 0);
  for (const f of ['/out/main.uci', '/out/wg0.uci', '/out/wg1.uci']) {
    const text = r.fs.files.get(f)!;
    text.split('\n').forEach((line, i) => assert.ok(LINE.test(line), `${f}:${i + 1}: ${line}`));
    assert.ok(text.endsWith('\n'));
    const commits = text.split('\n').filter((l) => l.startsWith('commit ')).map((l) => l.slice(7));
    const used = new Set(text.split('\n').filter((l) => /^(set|add_list|del_list|delete|reorder) /.test(l)).map((l) => l.split(' ')[1]!.split('.')[0]!));
    assert.equal(new Set(commits), used, `${f}: every package touched is committed`);
  }
});

test('an uplink router script applied twice to a fresh router: the second run changes nothing', async () => {
  const r = router();
  assert.is((await r.run(['--out', '/out'])).code, 0);
  const pkgs: Packages = new Map(['network', 'firewall'].map((p) => [p, parsePackage(fixture(`fresh/${p}`), p)]));
  const script = r.fs.files.get('/out/wg0.uci')!;
  const first = applyBatch(pkgs, script);
  assert.equal(first.errors, []);
  assert.equal([...first.touched].sort(), ['firewall', 'network']);
  const after = ['network', 'firewall'].map((p) => serialize(pkgs.get(p)!));
  // (the batch still writes: it empties and refills its lists; the files end up the same)
  assert.equal(applyBatch(pkgs, script).errors, []);
  assert.equal(['network', 'firewall'].map((p) => serialize(pkgs.get(p)!)), after);
});

test('uci semantics kept by the model: set "" deletes quietly, set keeps position, reorder is absolute', () => {
  const pkgs: Packages = new Map([['network', parsePackage("\nconfig interface 'a'\n\toption x '1'\n\toption y '2'\n", 'network')]]);
  const r = applyBatch(pkgs, "set network.a.nothere=''\nset network.a.x='3'\nset network.b=route\nreorder network.b=0\nadd_list network.a.l='p'\ndel_list network.a.l='q'\ncommit network\n");
  assert.equal(r.errors, []);
  assert.is(serialize(pkgs.get('network')!), "\nconfig route 'b'\n\nconfig interface 'a'\n\toption x '3'\n\toption y '2'\n\tlist l 'p'\n\n");
  assert.equal([...r.touched], ['network']);
});

test('a set on a section that does not exist is refused, like uci (Entry not found)', () => {
  const r = applyBatch(new Map(), "set network.nope.x='1'\n");
  assert.match(r.errors[0]!, /line 1: Entry not found/);
});

test("quoting: 'it'\\''s' is one word with a quote in it", () => {
  assert.equal(batchWords("set a.b.c='it'\\''s'"), ['set', "a.b.c=it's"]);
  assert.equal(batchWords('set a.b.c="x y"'), ['set', 'a.b.c=x y']);
});

test('the fresh router fixture parses without problems (it stands in for OpenWrt defaults)', () => {
  for (const p of ['network', 'firewall', 'mwan3']) assert.ok(parsePackage(fixture(`fresh/${p}`), p).length > 2, p);
});

test.run();
