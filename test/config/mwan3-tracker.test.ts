// mwan3track's own settings as wanpulse reads them, and check-config's warning when they make
// mwan3track itself fail an uplink over on ordinary loss.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { falseFailoversPerHour, readMwan3Tracker } from '../../src/config/mwan3-tracker.ts';
import type { ConfigProblem } from '../../src/config/types.ts';
import { parseUci } from '../../src/config/uci.ts';
import { OptionReader } from '../../src/config/values.ts';

function read(options: string, targets: number) {
  const text = `config interface 'wan'\n\toption enabled '1'\n${options}`;
  const problems: ConfigProblem[] = [];
  const s = parseUci(text, '/etc/config/mwan3').sections[0]!;
  const settings = readMwan3Tracker(new OptionReader(s, '/etc/config/mwan3', "mwan3 interface 'wan'", problems), targets);
  return { settings, problems };
}

test("OpenWrt's shipped wan (4 targets, reliability 2, mwan3's defaults): read as mwan3track does, no warning", () => {
  const { settings, problems } = read("\toption reliability '2'\n", 4);
  assert.equal(settings, {
    targets: 4, reliability: 2, count: 1, timeoutS: 4, intervalS: 10, failureIntervalS: 10, recoveryIntervalS: 10,
    down: 5, up: 5, initialState: 'online',
  });
  assert.equal(problems, []);
  assert.ok(falseFailoversPerHour(settings) < 1e-6);
});

test('the fastest LuCI values warn, with the expected rate and the settings to use instead', () => {
  const { settings, problems } = read("\toption interval '1'\n\toption timeout '1'\n\toption down '1'\n\toption up '1'\n", 2);
  assert.is(settings.failureIntervalS, 1, 'failure_interval defaults to interval');
  const perHour = falseFailoversPerHour(settings);
  assert.ok(perHour > 5 && perHour < 15, String(perHour)); // 2 lost replies in a row, once a second
  assert.is(problems.length, 1);
  assert.is(problems[0]!.severity, 'warning');
  assert.is(problems[0]!.line, 5, 'at the down option');
  assert.match(problems[0]!.message, /about 9 per hour/);
  assert.match(problems[0]!.message, /interval 10, timeout 4, down 5, up 5/);
});

test('down 3 with interval 5 and two targets is quiet; one target or down 2 at interval 1 is not', () => {
  assert.equal(read("\toption interval '5'\n\toption down '3'\n", 2).problems, []);
  assert.match(read("\toption interval '5'\n\toption down '3'\n", 1).problems[0]!.message, /about 2 per day/);
  const fast = read("\toption interval '1'\n\toption down '2'\n", 1);
  assert.is(fast.problems.length, 1);
  assert.match(fast.problems[0]!.message, /per (hour|day|week)/);
});

test("initial_state offline warns; values mwan3 cannot use fall back to its defaults (warned once, by mwan3-values.ts)", () => {
  const { settings, problems } = read("\toption initial_state 'offline'\n\toption timeout 'x'\n\toption up '0'\n", 1);
  assert.is(settings.initialState, 'offline');
  assert.is(settings.timeoutS, 4);
  assert.is(settings.up, 5);
  assert.is(problems.length, 1, problems.map((p) => p.message).join('\n'));
  assert.ok(problems.some((p) => /initial_state 'offline'/.test(p.message)));
});

test.run();
