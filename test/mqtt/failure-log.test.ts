import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createFailureLog, DUPLICATE_AFTER } from '../../src/mqtt/failure-log.ts';
import { connectFailure, endFailure } from '../../src/mqtt/errors.ts';
import { memoryLog } from '../../src/platform/log.ts';

const W = '127.0.0.1:1883';
const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1883'), { code: 'ECONNREFUSED' });

function setup() {
  const log = memoryLog();
  return { log, report: createFailureLog(log, W, 'wanpulse-r1', false), shown: () => log.lines.filter((l) => !l.startsWith('debug:')) };
}

test('one warn line per kind of failure, not per attempt, whatever the retry delay', () => {
  const { report, shown, log } = setup();
  for (let i = 0; i < 20; i++) report.failed(endFailure(W, i % 2 ? reset : undefined, false, false), 1000 * (i + 1));
  assert.equal(shown(), ['warn: MQTT broker 127.0.0.1:1883 closed the connection before CONNACK (closed by the broker); retrying in 1.0 s']);
  assert.is(log.lines.length, 20);
  assert.ok(log.lines.every((l) => l.includes('MQTT') && l.includes(W)), log.lines.join('\n'));
  report.failed(connectFailure(W, refused, false), 2000);
  assert.is(shown().length, 2, 'a new kind is said');
});

test('two kinds taking turns are said once each', () => {
  const { report, shown } = setup();
  for (let i = 0; i < 10; i++) {
    report.failed(i % 2 ? connectFailure(W, refused, false) : endFailure(W, undefined, false, false), 1000);
  }
  assert.is(shown().length, 2, shown().join('\n'));
});

test('connecting again is said once; after a stable connection the same failure is said again', () => {
  const { report, shown } = setup();
  report.failed(connectFailure(W, refused, false), 1000);
  report.connected();
  report.stable();
  report.failed(endFailure(W, undefined, false, true), 1000);
  report.failed(connectFailure(W, refused, false), 1000);
  report.connected();
  assert.equal(shown(), [
    'warn: MQTT connect to 127.0.0.1:1883 failed: connect ECONNREFUSED 127.0.0.1:1883; retrying in 1.0 s',
    'info: MQTT connected to 127.0.0.1:1883 as wanpulse-r1',
    'warn: MQTT connection to 127.0.0.1:1883 lost: closed by the broker; retrying in 1.0 s',
    'warn: MQTT connect to 127.0.0.1:1883 failed: connect ECONNREFUSED 127.0.0.1:1883; retrying in 1.0 s',
    'info: MQTT connected to 127.0.0.1:1883 as wanpulse-r1',
  ]);
});

test('connections the broker accepts and then closes, again and again: a duplicate client id, said once', () => {
  const { report, shown } = setup();
  let last = '';
  for (let i = 0; i < 10; i++) {
    report.connected();
    last = report.failed(endFailure(W, undefined, false, true), 1000);
  }
  const lines = shown();
  assert.is(lines.filter((l) => l.includes('another client uses the client id "wanpulse-r1"')).length, 1, lines.join('\n'));
  assert.ok(lines.length <= 5, lines.join('\n'));
  assert.match(last, `closed the connection ${10} times in a row`);
  report.connected();
  report.stable();
  assert.match(shown().at(-1)!, 'has stayed up: the repeated drops have stopped');
});

test('drops for other reasons (keepalive timeouts) are not blamed on the client id', () => {
  const { report, shown } = setup();
  const timeout = Object.assign(new Error('read ETIMEDOUT'), { code: 'ETIMEDOUT' });
  for (let i = 0; i < DUPLICATE_AFTER + 2; i++) {
    report.connected();
    report.failed(endFailure(W, timeout, false, true), 1000);
  }
  assert.not.ok(shown().some((l) => l.includes('client id')));
});

test.run();
