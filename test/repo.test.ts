// The repository stands alone: a clone with nothing beside it has everything its tests, docs and
// code refer to. Nothing tracked may read or name a folder outside the repository.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { program } from './support/need.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

test('no tracked file refers to a folder beside the repository', () => {
  const outside = ['..', 'shared'].join('/');
  const r = spawnSync(program('git'), ['grep', '-n', '-F', '-e', outside, '--', '.', ':!package-lock.json'], { cwd: root, encoding: 'utf8' });
  if (r.status === 128) throw new Error(`git grep failed: ${r.stderr}`);
  assert.is(r.stdout, '', `these lines name a folder outside the repository:\n${r.stdout}`);
});

test('every docs/ page a comment or doc names exists in the repository', () => {
  const r = spawnSync(program('git'), ['grep', '-h', '-o', '-E', '(docs|design)/[A-Za-z0-9_.-]+\\.md', '--', 'src', 'test', 'build', 'docs', 'README.md', 'openwrt-feed'], { cwd: root, encoding: 'utf8' });
  const named = [...new Set(r.stdout.split('\n').filter(Boolean))];
  assert.ok(named.length > 3, 'found the references');
  const missing = named.filter((p) => !existsSync(join(root, p)));
  assert.equal(missing, [], `named but not in the repository: ${missing.join(', ')}`);
});

test.run();
