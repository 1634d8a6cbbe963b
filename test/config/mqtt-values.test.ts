import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { clientIdProblem, mqttStringProblem, passwordFromFile, topicPrefixProblem } from '../../src/config/mqtt-values.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { ConfigProblem } from '../../src/config/types.ts';
import { MemoryFs } from '../fakes/fs.ts';

const MWAN3 = "config interface 'wan'\n option enabled '1'\n list track_ip '1.1.1.1'\n";
const errors = (ps: ConfigProblem[]) => ps.filter((p) => p.severity === 'error').map((p) => `${p.line}: ${p.message}`);

async function load(mqtt: string, files: Record<string, string> = {}) {
  const fs = new MemoryFs({ '/etc/config/mwan3': MWAN3, '/etc/config/wanpulse': `config mqtt 'mqtt'\n option enabled '1'\n${mqtt}`, ...files });
  return loadConfig({ fs }, '/etc/config', { hostname: 'router1' });
}

test('password_file: exactly one trailing "\\n" or "\\r\\n" is dropped, blanks are kept', () => {
  assert.is(passwordFromFile('s3cret\n'), 's3cret');
  assert.is(passwordFromFile('s3cret\r\n'), 's3cret');
  assert.is(passwordFromFile('s3cret'), 's3cret');
  assert.is(passwordFromFile(' pass word \n'), ' pass word ');
  assert.is(passwordFromFile('pw\n\n'), 'pw\n');
  assert.is(passwordFromFile('\tpw \r\n'), '\tpw ');
});

test('the loader and the connection read a password_file the same way', async () => {
  const { config, problems } = await load(" option username 'u'\n option password_file '/etc/pw'\n", { '/etc/pw': '  spaced out  \n' });
  assert.equal(errors(problems), []);
  assert.is(config!.mqtt.password, '  spaced out  ');
  const { loadSecrets } = await import('../../src/mqtt/secrets.ts');
  const secrets = await loadSecrets(new MemoryFs({ '/etc/pw': '  spaced out  \n' }), config!.mqtt);
  assert.is(secrets.password, '  spaced out  ');
});

test('MQTT string limits: 65535 bytes (UTF-8), no NUL', () => {
  assert.is(mqttStringProblem('x'.repeat(65_535)), null);
  assert.match(mqttStringProblem('x'.repeat(65_536))!, 'is 65536 bytes long');
  assert.match(mqttStringProblem('é'.repeat(40_000))!, 'is 80000 bytes long');
  assert.match(mqttStringProblem('a\u0000b')!, 'NUL');
});

test('client_id: no spaces, no control characters', () => {
  assert.is(clientIdProblem('wanpulse-OpenWrt-4f21c0'), null);
  assert.match(clientIdProblem('a b')!, 'spaces');
  assert.match(clientIdProblem('a\u0001b')!, 'control');
});

test('topic prefixes: no wildcards, no empty levels, no $, room for the topics below', () => {
  assert.is(topicPrefixProblem('home/wanpulse'), null);
  for (const bad of ['home/#', 'a/+/b', '/home', 'home/', 'a//b', '$SYS/x', 'a\u0000b', 'a\nb']) assert.ok(topicPrefixProblem(bad), bad);
  assert.match(topicPrefixProblem('x'.repeat(65_000))!, 'less the topics wanpulse adds');
});

test('check-config reports each bad MQTT value at its line, without echoing huge or control-laden values', async () => {
  const huge = 'c'.repeat(70_000);
  const { config, problems } = await load([
    ` option client_id '${huge}'`,
    " option username 'u\u0000x'",
    " option base_topic 'home/+/x'",
    " option discovery_prefix 'ha/'",
    '',
  ].join('\n'));
  assert.is(config, null);
  assert.equal(errors(problems), [
    "3: mqtt 'mqtt': client_id is 70000 bytes long; at most 65535 fit in MQTT",
    "4: mqtt 'mqtt': username contains a NUL character, which MQTT does not allow",
    "5: mqtt 'mqtt': base_topic 'home/+/x' must not contain the wildcards + or #",
    "6: mqtt 'mqtt': discovery_prefix 'ha/' must not have empty levels (a leading, trailing or double /)",
  ]);
  assert.ok(problems.every((p) => p.message.length < 200));
});

test('a password (inline or from its file) over 65535 bytes is an error that never shows it', async () => {
  const pw = 'p'.repeat(70_000);
  const inline = await load(` option username 'u'\n option password '${pw}'\n`);
  assert.equal(errors(inline.problems), ["4: mqtt 'mqtt': password is 70000 bytes long; at most 65535 fit in MQTT"]);
  const file = await load(" option username 'u'\n option password_file '/etc/pw'\n", { '/etc/pw': `${pw}\n` });
  assert.equal(errors(file.problems), ["4: mqtt 'mqtt': password is 70000 bytes long; at most 65535 fit in MQTT"]);
});

test.run();
