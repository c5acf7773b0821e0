// Prints the schema SDL to schema/schema.graphql; `--check` fails if the committed file differs.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { schema } from '../src/graphql/schema.ts';

const file = fileURLToPath(new URL('../schema/schema.graphql', import.meta.url));
const sdl = `# GENERATED from src/graphql by \`npm run schema:print\`. Do not edit.\n\n${printSchema(lexicographicSortSchema(schema))}\n`;
if (process.argv.includes('--check')) {
  if (!existsSync(file) || readFileSync(file, 'utf8') !== sdl) {
    console.error('schema/schema.graphql is out of date: run `npm run schema:print` and commit it');
    process.exit(1);
  }
  console.log('schema/schema.graphql is up to date');
} else {
  mkdirSync(fileURLToPath(new URL('../schema/', import.meta.url)), { recursive: true });
  writeFileSync(file, sdl);
  console.log(`wrote ${file}`);
}
