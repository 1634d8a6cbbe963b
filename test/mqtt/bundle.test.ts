// Bundles the MQTT code the way build/bundle.mjs
// does and runs it with `Buffer` and `process` removed, as on txiki.js.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('the bundled MQTT code runs without Buffer and process globals', async () => {
  const dir = mkdtempSync(join(tmpdir(), `wanpulse-bundle-${process.pid}-`));
  try {
    const outfile = join(dir, 'mqtt.mjs');
    await build({
      entryPoints: [join(root, 'test/mqtt/bundle-entry.ts')], outfile, bundle: true, format: 'esm', platform: 'neutral',
      target: 'es2022', mainFields: ['module', 'main'], external: ['node:*'], minify: true, lineLimit: 200,
      logLevel: 'silent',
    });
    const runner = `delete globalThis.Buffer; delete globalThis.process; await import(${JSON.stringify(pathToFileURL(outfile).href)});`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', runner], { encoding: 'utf8', timeout: 20_000 });
    assert.is(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    assert.equal(out.globals, { Buffer: 'undefined', process: 'undefined' });
    assert.equal(out.roundtrip, { topic: 't/x', payload: 'héllo', messageId: 300 });
    assert.is(out.connected, true);
    assert.equal(out.topics.slice(0, 1), ['b/status']);
    assert.ok(out.topics.includes('b/uplink/wg0'));
    assert.ok(out.topics.includes('homeassistant/sensor/wanpulse_r_wg0_latency/config'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the daemon bundle carries our own codec, no mqtt-packet, bl or Buffer polyfill', () => {
  const r = spawnSync(process.execPath, [join(root, 'build/bundle.mjs')], { encoding: 'utf8', timeout: 120_000 });
  assert.is(r.status, 0, r.stderr + r.stdout);
  const daemon = readFileSync(join(root, 'dist/wanpulse.js'), 'utf8');
  for (const s of ['writeToStream', 'BufferList', 'cacheNumbers', 'readUInt16BE']) assert.not.ok(daemon.includes(s), `bundle contains ${s}`);
  assert.ok(daemon.includes('packet from broker'), 'our parser is in it');
});

test.run();
