// Generates the SDK's code from its sources of truth: the typed documents (graphql-codegen's
// client preset over schema/schema.graphql and sdk/operations/*.graphql) and one error class per
// API error code (src/errors.ts) plus the job error codes (protocol/contract.ts). `--check`
// fails when a committed file differs.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from '@graphql-codegen/cli';
import { JOB_ERRORS } from '../protocol/contract.ts';
import { ErrorCode } from '../src/errors.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const sdk = join(root, 'sdk');
const check = process.argv.includes('--check');

process.chdir(sdk); // codegen.ts's paths are the SDK's
const { default: config } = await import('../sdk/codegen.ts');
const outputs = (await generate({ ...config, cwd: sdk, silent: true }, false)) as { filename: string; content: string }[];
const files = new Map(outputs.map((o) => [join(sdk, o.filename), o.content]));
files.set(join(sdk, 'src/generated/error-codes.ts'), errorCodesModule());

let stale = 0;
for (const [file, content] of files) {
  const rel = relative(root, file);
  if (check) {
    if (!existsSync(file) || readFileSync(file, 'utf8') !== content) {
      console.error(`${rel} is out of date: run \`npm run sdk:generate\` and commit it`);
      stale++;
    }
  } else {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
    console.log(`wrote ${rel}`);
  }
}
if (stale) process.exit(1);
if (check) console.log(`the SDK's ${files.size} generated files are up to date`);

function errorCodesModule(): string {
  // The comment beside each code in src/errors.ts becomes its class's doc comment.
  const source = readFileSync(join(root, 'src/errors.ts'), 'utf8');
  const comment = (code: string) => source.match(new RegExp(`^\\s*${code}: '${code}',\\s*//\\s*(.+)$`, 'm'))?.[1]?.trim();
  const className = (code: string) => code.toLowerCase().replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase()) + 'Error';
  const codes = Object.values(ErrorCode);
  const lines = [
    '// GENERATED from src/errors.ts and protocol/contract.ts by `npm run sdk:generate`. Do not edit.',
    "import { VoxgraphError, type GraphQLErrorPayload } from '../errors.ts';",
    '',
    '/** Every `extensions.code` the API answers with. */',
    `export const ERROR_CODES = [${codes.map((c) => `'${c}'`).join(', ')}] as const;`,
    'export type ErrorCode = (typeof ERROR_CODES)[number];',
    '',
  ];
  for (const code of codes) {
    const doc = comment(code);
    if (doc) lines.push(`/** ${code}: ${doc.replace(/\*\//g, '* /')} */`);
    lines.push(`export class ${className(code)} extends VoxgraphError {`, `  declare readonly code: '${code}';`, '}');
  }
  lines.push(
    '',
    'const CLASSES: Record<ErrorCode, typeof VoxgraphError> = {',
    ...codes.map((c) => `  ${c}: ${className(c)},`),
    '};',
    '',
    "/** The error as its code's class (a VoxgraphError when the code is not one of ours). */",
    'export function errorFor(error: GraphQLErrorPayload, errors: GraphQLErrorPayload[] = [error]): VoxgraphError {',
    '  const code = error.extensions?.code;',
    '  const Class = typeof code === \'string\' && code in CLASSES ? CLASSES[code as ErrorCode] : VoxgraphError;',
    '  return new Class(error, errors);',
    '}',
    '',
    '/** Every code a job can end an attempt with (Job.error.code), and whether another attempt may succeed. */',
    'export const JOB_ERROR_CODES = {',
    ...Object.entries(JOB_ERRORS).map(([c, e]) => `  ${c}: { retryable: ${e.retryable}, meaning: ${JSON.stringify(e.meaning)} },`),
    '} as const;',
    'export type JobErrorCode = keyof typeof JOB_ERROR_CODES;',
    '',
  );
  return lines.join('\n');
}
