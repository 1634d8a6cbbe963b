#!/usr/bin/env node
// Traffic sink, run inside the lab's `inet` namespace. Echoes every UDP datagram and every TCP line
// with the source address it came from, so the client learns which uplink carried each flow
// (each uplink router masquerades to its own ISP address).
// Usage: node sink.mjs <bind address> <udp port> <tcp port>
import dgram from 'node:dgram';
import net from 'node:net';

const [addr = '0.0.0.0', udpPort = '5001', tcpPort = '5002'] = process.argv.slice(2);

const udp = dgram.createSocket('udp4');
udp.on('message', (msg, rinfo) => {
  // "<flow> <seq>" → "<flow> <seq> <source address>"
  udp.send(`${msg.toString().trim()} ${rinfo.address}`, rinfo.port, rinfo.address);
});
udp.on('error', (e) => { console.error(`sink udp: ${e.message}`); process.exit(1); });

const tcp = net.createServer((sock) => {
  sock.setNoDelay(true);
  let partial = '';
  sock.setEncoding('utf8');
  sock.on('data', (chunk) => {
    partial += chunk;
    let nl;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      sock.write(`${line} ${sock.remoteAddress?.replace(/^::ffff:/, '')}\n`);
    }
    if (partial.length > 4096) sock.destroy();
  });
  sock.on('error', () => sock.destroy());
});
tcp.on('error', (e) => { console.error(`sink tcp: ${e.message}`); process.exit(1); });

let ready = 0;
const announce = () => { if (++ready === 2) console.log(JSON.stringify({ ev: 'ready', at: Date.now() })); };
udp.bind(Number(udpPort), addr, announce);
tcp.listen(Number(tcpPort), addr, announce);
for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => process.exit(0));
