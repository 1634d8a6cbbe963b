import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseUci, sectionRef, uciGet, uciList, type UciSection } from '../../src/config/uci.ts';

// the file OpenWrt's mwan3 package ships, kept beside the project (never copied into it)
// An OpenWrt-shaped /etc/config/mwan3 of our own: comments, named and anonymous sections, lists,
// both quote styles, every option mwan3 reads.
const MWAN3_SAMPLE = fileURLToPath(new URL('../fixtures/openwrt/mwan3.two-tunnels', import.meta.url));

const values = (s: UciSection, name: string) => uciList(s, name).map((v) => v.value);
const one = (text: string) => {
  const r = parseUci(text, 'f');
  return { ...r, s: r.sections[0]! };
};

test('reads an OpenWrt-shaped mwan3 file: every section, list order and line', () => {
  const { sections, problems } = parseUci(readFileSync(MWAN3_SAMPLE, 'utf8'), 'mwan3');
  assert.equal(problems, []);
  const count = (type: string) => sections.filter((s) => s.type === type).length;
  assert.equal([count('globals'), count('interface'), count('member'), count('policy'), count('rule')], [1, 4, 5, 3, 4]);
  const ifaces = sections.filter((s) => s.type === 'interface');
  assert.equal(ifaces.map((s) => s.name), ['wg0', 'wg0_6', 'wg1', 'wg1_6']);
  assert.equal(ifaces.map((s) => s.index), [0, 1, 2, 3]);
  const wg0 = ifaces[0]!;
  assert.is(wg0.line, 11);
  assert.equal(values(wg0, 'track_ip'), ['10.200.0.1', '9.9.9.9', '149.112.112.112']);
  assert.equal(uciList(wg0, 'track_ip').map((v) => v.line), [15, 16, 17]);
  assert.is(uciGet(wg0, 'reliability')?.value, '2');
  assert.is(uciGet(wg0, 'reliability')?.line, 19);
  assert.equal(values(wg0, 'flush_conntrack'), ['ifdown']);
  assert.equal(values(ifaces[2]!, 'track_ip'), ['10.200.1.1', '1.0.0.1']); // double quotes
  assert.is(uciGet(sections[0]!, 'mmx_mask')?.value, '0x3F00');
  const balanced = sections.find((s) => s.name === 'balanced')!;
  assert.equal(values(balanced, 'use_member'), ['wg0_m1_w1', 'wg1_m1_w1', 'wg0_6_m1_w1', 'wg1_6_m1_w1']);
  assert.is(uciGet(balanced, 'last_resort')?.value, 'unreachable');
  const rules = sections.filter((s) => s.type === 'rule');
  assert.equal(rules.map((s) => [s.name, uciGet(s, 'use_policy')?.value]), [
    ['endpoints', 'default'], ['https', 'balanced'], [null, 'balanced'], ['default_rule_v6', 'balanced'],
  ]);
  assert.is(rules[2]!.line, 114);
  assert.is(uciGet(rules[2]!, 'src_port')?.value, '1024:65535');
  assert.is(uciGet(rules[3]!, 'dest_ip')?.value, '::/0');
});

test('quoting: single, double with escapes, concatenation, comments', () => {
  const cases: [string, string][] = [
    [`option v bare`, 'bare'],
    [`option v 'two words'`, 'two words'],
    [`option v 'back\\slash'`, 'back\\slash'],
    [`option v "say \\"hi\\""`, 'say "hi"'],
    [`option v "a\\nb"`, 'anb'],
    [`option v 'a'"b"c`, 'abc'],
    [`option v 'it'\\''s'`, "it's"],
    [`option v a\\ b`, 'a b'],
    [`option v 'x' # a comment`, 'x'],
    [`option v x#y`, 'x'],
    [`option v '#not a comment'`, '#not a comment'],
    [`o v short`, 'short'],
    ["\t  option\tv\t'tabs'  ", 'tabs'],
  ];
  for (const [line, want] of cases) {
    const { s, problems } = one(`config t 'n'\n${line}\n`);
    assert.equal(problems, [], line);
    assert.is(uciGet(s, 'v')?.value, want, line);
  }
});

test('a backslash at the line end joins the next line, as libuci does', () => {
  const { s, problems } = one("config t 'n'\n\toption a 'one'\\\ntwo\n\toption b \"x\\\ny\"\n\toption c after\n");
  assert.equal(problems, []);
  assert.is(uciGet(s, 'a')?.value, 'onetwo');
  assert.is(uciGet(s, 'b')?.value, 'xy');
  assert.is(uciGet(s, 'c')?.line, 6);
});

test('quoted values may span lines (with a warning) and lines stay counted', () => {
  const { s, problems } = one("config t 'n'\n\toption a 'one\ntwo'\n\toption b 'x'\n");
  assert.is(uciGet(s, 'a')?.value, 'one\ntwo');
  assert.is(uciGet(s, 'b')?.line, 4);
  assert.is(problems.length, 1);
  assert.is(problems[0]!.severity, 'warning');
  assert.is(problems[0]!.line, 2);
});

test('anonymous sections get @type[index]; named ones keep their name', () => {
  const { sections } = parseUci("config globals\n\toption a 1\nconfig interface 'wg0'\nconfig interface\nconfig globals ''\n", 'f');
  assert.equal(sections.map(sectionRef), ['@globals[0]', "'wg0'", '@interface[1]', '@globals[1]']);
  assert.equal(sections.map((s) => s.line), [1, 3, 4, 5]);
});

test('option replaces, list appends (turning an option into a list), empty option removes', () => {
  const { s, problems } = one("config t 'n'\n option a 1\n option a 2\n list b x\n list b y\n option c z\n list c w\n option d q\n option d ''\n");
  assert.equal(problems, []);
  assert.equal(values(s, 'a'), ['2']);
  assert.equal(values(s, 'b'), ['x', 'y']);
  assert.equal(values(s, 'c'), ['z', 'w']);
  assert.is(s.options.get('c')?.isList, true);
  assert.is(s.options.has('d'), false);
});

test('a section name seen again reopens that section, with a warning', () => {
  const { sections, problems } = parseUci("config t 'a'\n option x 1\nconfig t 'b'\nconfig t 'a'\n option y 2\n", 'f');
  assert.equal(sections.map((s) => s.name), ['a', 'b']);
  assert.equal([values(sections[0]!, 'x'), values(sections[0]!, 'y')], [['1'], ['2']]);
  assert.equal(problems.map((p) => [p.line, p.severity]), [[4, 'warning']]);
});

test('package lines are accepted and ignored; ; separates commands', () => {
  const { sections, problems } = parseUci("package mwan3\nconfig t 'a'; option x 1; option y '2'\n", 'f');
  assert.equal(problems, []);
  assert.equal([values(sections[0]!, 'x'), values(sections[0]!, 'y')], [['1'], ['2']]);
});

test('CRLF line ends are read like LF', () => {
  const { s, problems } = one("config t 'n'\r\n\toption a 'b'\r\n\toption c d\r\n");
  assert.equal(problems, []);
  assert.equal([uciGet(s, 'a')?.value, uciGet(s, 'c')?.value], ['b', 'd']);
});

// Malformed input: each case gives at least one problem at the given line, and parsing goes on.
const MALFORMED: [string, string, number, RegExp][] = [
  ['unterminated single quote', "config t 'n'\n option a 'oops\n", 2, /unterminated ' quote/],
  ['unterminated double quote', "config t 'n'\n option a \"oops\n option b c\n", 2, /unterminated " quote/],
  ['option before any section', "option a b\nconfig t 'n'\n", 1, /outside a section/],
  ['list before any section', "\n\nlist a b\n", 3, /outside a section/],
  ['option without a name', "config t 'n'\n option\n", 2, /without a name/],
  ['option name with a dash', "config t 'n'\n option track-ip 1.1.1.1\n", 2, /invalid option name 'track-ip'/],
  ['list name with a dot', "config t 'n'\n list a.b x\n", 2, /invalid list name/],
  ['section name with a dash', "config interface 'wan-2'\n", 1, /invalid section name 'wan-2'/],
  ['config without type', 'config\n', 1, /without a section type/],
  ['section type with a space', "config 'a b' 'n'\n", 1, /invalid section type/],
  ['too many arguments', "config t 'n'\n option a b c\n", 2, /too many arguments.*'c'/],
  ['value with a space unquoted', "config t 'n'\n option a 1.1.1.1 8.8.8.8\n", 2, /too many arguments/],
  ['unknown command', "config t 'n'\n optoin a b\n", 2, /unknown command 'optoin'/],
  ['same name, other type', "config a 'n'\nconfig b 'n'\n", 2, /reuses the name/],
  ['package without a name', 'package\n', 1, /package line without a name/],
  ['option without a value', "config t 'n'\n option a\n", 2, /has no value/],
  ['config with three words', "config t 'n' extra\n", 1, /too many arguments to config/],
];

for (const [what, text, line, message] of MALFORMED) {
  test(`malformed: ${what} → located problem`, () => {
    let result: ReturnType<typeof parseUci> | undefined;
    assert.not.throws(() => { result = parseUci(text, '/etc/config/x'); });
    const hit = result!.problems.find((p) => message.test(p.message));
    assert.ok(hit, `no problem matching ${message} in ${JSON.stringify(result!.problems)}`);
    assert.is(hit!.line, line);
    assert.is(hit!.file, '/etc/config/x');
  });
}

test('after a bad line the rest of the file is still read', () => {
  const { sections, problems } = parseUci("config t 'a'\n option a-b 1\n option ok 2\nconfig t 'bad-name'\n option lost 1\nconfig t 'c'\n option z 3\n", 'f');
  assert.equal(sections.map((s) => s.name), ['a', 'c']);
  assert.equal(values(sections[0]!, 'ok'), ['2']);
  assert.equal(values(sections[1]!, 'z'), ['3']);
  // the options of the rejected section are dropped without a second complaint
  assert.equal(problems.map((p) => p.line), [2, 4]);
});

test('random garbage never throws', () => {
  let seed = 42;
  const rand = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31; };
  const alphabet = "config option list package 'a\"b\\#;\n\t x_1-";
  for (let i = 0; i < 300; i++) {
    let text = '';
    const len = Math.floor(rand() * 200);
    for (let j = 0; j < len; j++) text += alphabet[Math.floor(rand() * alphabet.length)];
    assert.not.throws(() => parseUci(text, 'f'));
  }
});

test.run();
