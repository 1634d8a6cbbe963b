// Child process for the last-will test: runs a publisher against the broker given in argv and
// prints `connected` once it is; the test then kills it with SIGKILL.
// Usage: node --import tsx test/mqtt/publisher-child.ts <port> <user> <password> <base topic>
import { createMqttPublisher } from '../../src/mqtt/publisher.ts';
import { nodePlatform } from '../../src/platform/node.ts';
import { makeLog } from '../../src/platform/log.ts';
import { snapshot, uplink } from './sample.ts';

const [port, user, password, base] = process.argv.slice(2);
const p = nodePlatform();
const log = makeLog('info', (l) => process.stderr.write(l));
const pub = createMqttPublisher({ net: p.net, clock: p.clock, log, fs: p.fs }, {
  enabled: true, host: '127.0.0.1', port: Number(port), tls: false, tlsInsecure: false, username: user, password,
  clientId: `wanpulse-child-${process.pid}`, baseTopic: base!, discovery: false, discoveryPrefix: 'homeassistant',
  publishIntervalMs: 0, keepaliveS: 30,
}, { version: '0.0.0-test', routerId: 'child', policies: [] });
pub.publishStatus(snapshot([uplink('wg0')]));
pub.start();
const started = Date.now();
const timer = setInterval(() => {
  if (pub.state().connected) { process.stdout.write('connected\n'); clearInterval(timer); }
  else if (Date.now() - started > 10_000) { process.stdout.write(`not connected: ${pub.state().lastError}\n`); process.exit(1); }
}, 20);
