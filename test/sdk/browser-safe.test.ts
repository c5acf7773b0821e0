// The SDK's main entry runs in browsers: nothing it imports, directly or through its own modules,
// is a Node built-in, and its only packages are the browser-ready transports. (The web app's
// Vite build bundles it; the browser test runs that bundle.) Node-only code stays in node.ts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';

const ALLOWED_PACKAGES = new Set(['graphql-ws', 'graphql-sse', '@graphql-typed-document-node/core']);

function importsOf(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  return [...src.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]/gm), ...src.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!);
}

function graph(entry: string) {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const walk = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of importsOf(file)) {
      if (spec.startsWith('.')) walk(resolve(dirname(file), spec));
      else packages.add(spec);
    }
  };
  walk(resolve(entry));
  return { files: [...seen], packages: [...packages] };
}

test('the browser entry (sdk/src/index.ts) imports no Node built-in and only browser-ready packages', () => {
  const { files, packages } = graph('sdk/src/index.ts');
  assert.ok(files.length >= 8, `walked ${files.length} modules`);
  assert.ok(!files.some((f) => f.endsWith('node.ts')), 'node.ts is not reachable from the main entry');
  assert.deepEqual(packages.filter((p) => !ALLOWED_PACKAGES.has(p)), [], `packages: ${packages}`);
});

test('the built package keeps that: dist/index.js reaches no node: module', () => {
  const { packages } = graph(join('sdk/dist/index.js'));
  assert.deepEqual(packages.filter((p) => p.startsWith('node:') || !ALLOWED_PACKAGES.has(p)), []);
});

test('the Node helpers are where Node-only code lives', () => {
  assert.ok(graph('sdk/src/node.ts').packages.some((p) => p.startsWith('node:')));
});
