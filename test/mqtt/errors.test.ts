// Failure texts and kinds, with errors shaped as Node and as txiki.js raise them (the txiki adapter
// passes its built-ins' errors through: `code` set, `message` possibly empty, AbortError on
// the connect timeout; docs/mqtt.md). tjs cannot run here: these pin what the session makes of them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connackFailure, connectFailure, describeError, endFailure, secretsFailure, shown } from '../../src/mqtt/errors.ts';

const W = '192.0.2.7:1883';
const coded = (message: string, code: string) => Object.assign(new Error(message), { code });

test('connection refused: the same kind under Node and txiki.js, named as unreachable', () => {
  const node = connectFailure(W, coded('connect ECONNREFUSED 192.0.2.7:1883', 'ECONNREFUSED'), false);
  const tjs = connectFailure(W, coded('', 'ECONNREFUSED'), false);
  assert.is(node.kind, tjs.kind);
  assert.ok(node.unreachable && tjs.unreachable);
  assert.is(tjs.text, 'MQTT connect to 192.0.2.7:1883 failed: ECONNREFUSED');
  assert.is(node.text, 'MQTT connect to 192.0.2.7:1883 failed: connect ECONNREFUSED 192.0.2.7:1883');
});

test('a connect timeout (Node: message; txiki.js: AbortError from the abort signal) is one kind, unreachable', () => {
  const node = connectFailure(W, new Error('connect to 192.0.2.7:1883 timed out after 10000 ms'), false);
  const abort = new Error('The operation was aborted');
  abort.name = 'AbortError';
  const tjs = connectFailure(W, abort, false);
  const tjsEmpty = connectFailure(W, Object.assign(new Error(''), { name: 'AbortError' }), false);
  assert.equal([node.kind, tjs.kind, tjsEmpty.kind], ['connect:timeout', 'connect:timeout', 'connect:timeout']);
  assert.ok(node.unreachable && tjs.unreachable && tjsEmpty.unreachable);
  assert.is(tjsEmpty.text, 'MQTT connect to 192.0.2.7:1883 failed: timed out');
});

test('a TLS trust failure is not "unreachable" (the broker is there) and carries the ca_file hint', () => {
  const f = connectFailure(W, coded('self-signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN'), true);
  assert.not.ok(f.unreachable);
  assert.match(f.text, 'check ca_file');
});

test('before CONNACK, a clean close and a reset are one kind ("closed by the broker", "read ECONNRESET")', () => {
  const closed = endFailure(W, undefined, false, false);
  const reset = endFailure(W, coded('read ECONNRESET', 'ECONNRESET'), false, false);
  const tjsReset = endFailure(W, coded('', 'ECONNRESET'), false, false);
  assert.equal([closed.kind, reset.kind, tjsReset.kind], ['handshake:closed', 'handshake:closed', 'handshake:closed']);
  assert.is(closed.text, 'MQTT broker 192.0.2.7:1883 closed the connection before CONNACK (closed by the broker)');
  assert.is(tjsReset.text, 'MQTT broker 192.0.2.7:1883 closed the connection before CONNACK (ECONNRESET)');
});

test('after CONNACK, a close by the broker is marked as such; other errors are not', () => {
  assert.ok(endFailure(W, undefined, false, true).closedByBroker);
  assert.ok(endFailure(W, coded('read ECONNRESET', 'ECONNRESET'), false, true).closedByBroker);
  assert.not.ok(endFailure(W, coded('read ETIMEDOUT', 'ETIMEDOUT'), false, true).closedByBroker);
  assert.match(endFailure(W, undefined, false, true).text, 'MQTT connection to 192.0.2.7:1883 lost');
});

test('refusals and secrets name MQTT and the broker; numbers do not split a kind', () => {
  assert.is(connackFailure(W, 5).text, 'MQTT broker 192.0.2.7:1883 refused the connection: not authorized (check username/password)');
  assert.is(connackFailure(W, 5).kind, 'refused:5');
  const a = secretsFailure(W, new Error('cannot read password_file /etc/p1: EACCES'));
  const b = secretsFailure(W, new Error('cannot read password_file /etc/p2: EACCES'));
  assert.is(a.kind, b.kind);
  assert.is(a.text, 'MQTT 192.0.2.7:1883: cannot read password_file /etc/p1: EACCES');
});

test('describeError never prints an empty text; shown() quotes, escapes and shortens', () => {
  assert.is(describeError(Object.assign(new Error(''), { name: 'TypeError' }), false), 'TypeError');
  assert.is(describeError('boom', false), 'boom');
  assert.is(shown('a\nb'), '"a\\nb"');
  assert.is(shown('x'.repeat(100)).length, 83);
});

test.run();
