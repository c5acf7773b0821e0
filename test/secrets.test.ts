// Secrets kept in DATA_DIR (signing secret, development key, the embedded PostgreSQL's password)
// are created once, even when several processes start together on the same directory.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

test('16 processes racing to create the signing secret all end up with the same one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'voxgraph-secret-'));
  try {
    // All of them call at the same instant (a start barrier), so a check-then-write would race.
    const at = Date.now() + 1500;
    const code = `import { signingSecret } from ${JSON.stringify(new URL('../src/storage/signed-url.ts', import.meta.url).href)};
      while (Date.now() < ${at});
      console.log(signingSecret(undefined, ${JSON.stringify(dir)}));`;
    const outs = await Promise.all(
      Array.from({ length: 16 }, () =>
        new Promise<string>((resolve, reject) => {
          const p = spawn(process.execPath, ['--input-type=module', '-e', code]);
          let out = '';
          p.stdout.on('data', (c) => (out += c));
          p.on('exit', (c) => (c === 0 ? resolve(out.trim()) : reject(new Error(`exit ${c}`))));
        }),
      ),
    );
    assert.equal(new Set(outs).size, 1, 'one secret');
    assert.ok(outs[0]!.length >= 32);
    assert.equal(statSync(join(dir, 'signing-secret')).mode & 0o777, 0o600);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
