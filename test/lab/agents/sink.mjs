#!/usr/bin/env node
// Traffic sink, run inside the lab's `inet` namespace. Echoes every UDP datagram and every TCP line
// with the source address it came from, so the client learns which uplink carried each flow
// (each uplink router masquerades to its own ISP address). On the upload port it discards what
// it receives and tells the sender every 250 ms how many bytes arrived so far, with the address
// (`<bytes> <source address>` lines, the first one at once): an upload's progress, from the far end.
// Usage: node sink.mjs <bind address> <udp port> <tcp port> [<upload port>]
import dgram from 'node:dgram';
import net from 'node:net';

const [addr = '0.0.0.0', udpPort = '5001', tcpPort = '5002', uploadPort = '5003'] = process.argv.slice(2);

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

const upload = net.createServer((sock) => {
  const from = sock.remoteAddress?.replace(/^::ffff:/, '');
  let bytes = 0;
  const tell = () => { if (sock.writable) sock.write(`${bytes} ${from}\n`); };
  tell();
  const timer = setInterval(tell, 250);
  sock.on('data', (chunk) => { bytes += chunk.length; });
  sock.on('close', () => clearInterval(timer));
  sock.on('error', () => sock.destroy());
});
upload.on('error', (e) => { console.error(`sink upload: ${e.message}`); process.exit(1); });

let ready = 0;
const announce = () => { if (++ready === 3) console.log(JSON.stringify({ ev: 'ready', at: Date.now() })); };
udp.bind(Number(udpPort), addr, announce);
tcp.listen(Number(tcpPort), addr, announce);
upload.listen(Number(uploadPort), addr, announce);
for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => process.exit(0));
