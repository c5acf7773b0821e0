// Prints deploy/kubernetes/manifests.ts to deploy/kubernetes/*.yaml; `--check` fails when a
// committed file differs. Every object is validated against its schema first.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { manifests } from '../deploy/kubernetes/manifests.ts';

const check = process.argv.includes('--check');
let stale = 0;
for (const [file, objects] of Object.entries(manifests())) {
  for (const o of objects) o.validate();
  const path = `deploy/kubernetes/${file}`;
  const text = `# GENERATED from deploy/kubernetes/manifests.ts by \`npm run deploy:generate\`. Do not edit.\n${objects.map((o) => `---\n${stringify(o.toJSON(), { lineWidth: 0 })}`).join('')}`;
  if (check) {
    if (!existsSync(path) || readFileSync(path, 'utf8') !== text) {
      console.error(`${path} is out of date: run \`npm run deploy:generate\` and commit it`);
      stale++;
    }
  } else {
    writeFileSync(path, text);
    console.log(`wrote ${path}`);
  }
}
if (stale) process.exit(1);
if (check) console.log('deploy/kubernetes is up to date');
