// The ownership record under concurrent changes: two uplinks that die at the same moment are
// taken down side by side (one queue per interface), and stop hands back side by side. Real files.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ownership } from '../../src/actions/ownership.ts';
import { nodeFs } from '../../src/platform/node.ts';

test('interfaces added and removed at once: every write succeeds, the record ends as the last change left it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wanpulse-own-'));
  try {
    const path = join(dir, 'owned.json');
    const o = new Ownership(nodeFs, path, 'mwan3', 1);
    const names = Array.from({ length: 8 }, (_, i) => `wan${i}`);
    await Promise.all(names.map((n, i) => o.add(n, { since: i, device: `wg${i}`, mark: i + 1 })));
    assert.equal(Object.keys(JSON.parse(readFileSync(path, 'utf8')).owned).sort(), names);
    await Promise.all(names.slice(0, 6).map((n) => o.remove(n)));
    assert.equal(Object.keys(JSON.parse(readFileSync(path, 'utf8')).owned).sort(), ['wan6', 'wan7']);
    assert.equal(readdirSync(dir), ['owned.json'], 'no temporary file left');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
