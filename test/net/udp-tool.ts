// UDP traffic for namespace tests, run inside a namespace with `node --import tsx`.
//   sink <addr> <port> <maxS>                       prints "<src addr> <src port> <payload>" per datagram
//   stream <dst> <port> <sport> <everyMs> <maxS>    sends "stream <seq>" from a fixed source port
//   burst <dst> <port> <firstSport> <count> <tag>   one flow per source port, 3 datagrams each
// Every mode ends by itself after a bounded time or count.
import { createSocket } from 'node:dgram';

const [mode, addr, portText, ...rest] = process.argv.slice(2);
const port = Number(portText);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  if (mode === 'sink') {
    const sock = createSocket('udp4');
    sock.on('message', (msg, rinfo) => process.stdout.write(`${rinfo.address} ${rinfo.port} ${msg.toString()}\n`));
    sock.bind(port, addr, () => process.stdout.write('ready\n'));
    setTimeout(() => process.exit(0), Number(rest[0] ?? 60) * 1000);
    return;
  }
  if (mode === 'stream') {
    const [sport, everyMs, maxS] = rest.map(Number) as [number, number, number];
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(sport, r));
    const end = Date.now() + maxS * 1000;
    for (let seq = 0; Date.now() < end; seq++) {
      sock.send(`stream ${seq}`, port, addr);
      await sleep(everyMs);
    }
    process.exit(0);
  }
  if (mode === 'burst') {
    const [first, count] = rest.map(Number) as [number, number];
    const tag = rest[2] ?? 'burst';
    for (let i = 0; i < count; i++) {
      const sock = createSocket('udp4');
      await new Promise<void>((r) => sock.bind(first + i, r));
      for (let k = 0; k < 3; k++) await new Promise<void>((r) => sock.send(`${tag} ${i}`, port, addr, () => r()));
      sock.close();
    }
    process.exit(0);
  }
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}

void main();
