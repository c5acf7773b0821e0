// Test helper: drives the real pg-boss from the Python worker tests (gpu-worker/tests) so both
// sides of the protocol are exercised against the same schema. Not used in production.
//
//   install   <url>                          migrate pg-boss + ensureQueues (test settings), stop
//   send      <url> <queue> <json> [id]      prints the job id
//   send-many <url> <queue> <gapMs> <json> <id> [<json> <id> ...]   sends them <gapMs> apart, one process
//   job       <url> <queue> <id>             prints getJobById as JSON (or null)
//   cancel    <url> <queue> <id>
//   supervise <url> <seconds>                run a supervising instance for that long
import { PgBoss } from 'pg-boss';
import { ensureQueues } from '../../src/queue/boss.ts';

const TEST_QUEUE = {
  retryLimit: 2,
  retryDelaySeconds: 1,
  expireSeconds: 600,
  heartbeatSeconds: 10,
  superviseIntervalSeconds: 1,
  retentionSeconds: 7 * 24 * 3600,
};

async function withBoss<T>(url: string, supervise: boolean, fn: (b: PgBoss) => Promise<T>): Promise<T> {
  const boss = new PgBoss({
    connectionString: url,
    supervise,
    superviseIntervalSeconds: TEST_QUEUE.superviseIntervalSeconds,
    schedule: false,
    max: 2,
  });
  boss.on('error', (err: Error) => console.error('pg-boss error', err));
  await boss.start();
  try {
    return await fn(boss);
  } finally {
    await boss.stop({ graceful: false });
  }
}

const [cmd, url, ...rest] = process.argv.slice(2);
function usage(): never {
  console.error('usage: pgboss-cli.ts install|send|job|cancel|supervise <url> ...');
  process.exit(2);
}
if (!cmd || !url) usage();

switch (cmd) {
  case 'install':
    await withBoss(url, false, (b) => ensureQueues(b, TEST_QUEUE));
    break;
  case 'send': {
    const [queue, json, id] = rest;
    if (!queue || !json) usage();
    const sent = await withBoss(url, false, (b) => b.send(queue, JSON.parse(json), id ? { id } : {}));
    console.log(sent);
    break;
  }
  case 'send-many': {
    const [queue, gap, ...pairs] = rest;
    if (!queue || !gap || pairs.length === 0 || pairs.length % 2) usage();
    await withBoss(url, false, async (b) => {
      for (let i = 0; i < pairs.length; i += 2) {
        if (i) await new Promise((r) => setTimeout(r, Number(gap)));
        console.log(await b.send(queue, JSON.parse(pairs[i]!), { id: pairs[i + 1]! }));
      }
    });
    break;
  }
  case 'job': {
    const [queue, id] = rest;
    if (!queue || !id) usage();
    const job = await withBoss(url, false, (b) => b.getJobById(queue, id));
    console.log(JSON.stringify(job));
    break;
  }
  case 'cancel': {
    const [queue, id] = rest;
    if (!queue || !id) usage();
    await withBoss(url, false, (b) => b.cancel(queue, id));
    break;
  }
  case 'supervise': {
    const seconds = Number(rest[0] ?? '10');
    await withBoss(url, true, () => new Promise((r) => setTimeout(r, seconds * 1000)));
    break;
  }
  default:
    console.error(`unknown command ${cmd}`);
    process.exit(2);
}
