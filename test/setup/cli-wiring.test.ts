// `wanpulse setup …`: the main argument parser hands everything after `setup` to setup's own.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseArgs, USAGE } from '../../src/cli-args.ts';
import { parseSetupArgs } from '../../src/setup/command.ts';

test('everything after the word setup is setup\'s', () => {
  const a = parseArgs(['setup', 'net.conf', '--out', '/o', '--apply', '--force']);
  assert.ok(typeof a !== 'string');
  assert.is(a.command, 'setup');
  assert.equal(a.rest, ['net.conf', '--out', '/o', '--apply', '--force']);
  assert.equal(parseSetupArgs(a.rest), { description: 'net.conf', out: '/o', apply: true, force: true, configDir: '/etc/config', help: false });
});

test('setup: defaults, and clear messages for bad arguments', () => {
  assert.equal(parseSetupArgs([]), { description: '/etc/wanpulse/setup.conf', out: '/etc/wanpulse/setup', apply: false, force: false, configDir: '/etc/config', help: false });
  assert.is(parseSetupArgs(['--out']), 'setup: --out needs a value');
  assert.is(parseSetupArgs(['a', 'b']), 'setup: unknown argument: b');
  assert.is(parseSetupArgs(['--frobnicate']), 'setup: unknown argument: --frobnicate');
  assert.match(USAGE, /setup +the whole multi-uplink network from one description/);
});

test.run();
