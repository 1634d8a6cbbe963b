// Child of exit.test.ts: writes a lot to stdout and stderr through the Node adapter, then exits.
import { nodePlatform } from '../../src/platform/node.ts';

const p = nodePlatform();
const line = 'x'.repeat(99) + '\n';
for (let i = 0; i < 3000; i++) p.write('stdout', line);
p.write('stderr', 'e'.repeat(200_000) + '\n');
p.write('stdout', 'the last line\n');
void p.exit(5);
