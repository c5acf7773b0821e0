// Follows jobs the way a resilient subscription client does: when a subscription ends without the
// job's final state (an error, its socket closed, the server restarted) it subscribes again with
// afterVersion = the last version it saw, until the final state arrives. Every state it is given
// is kept, so a test can check there was no gap and no repeat.
import { FINAL_STATES, wsClient } from './client.ts';

export const FOLLOW_JOB = `subscription($id: ID!, $after: Int) { jobUpdated(id: $id, afterVersion: $after) {
  id status version attempts progress updatedAt error { code message }
  result { __typename ... on DenoiseResult { audio { id } } } } }`;

export type JobState = { id: string; status: string; version: number; attempts: number; progress: number; updatedAt: string; error: { code: string } | null; result: { audio?: { id: string } } | null };
export type Followed = { states: JobState[]; resumes: number; errors: string[] };

/**
 * `connections` graphql-ws clients share the jobs; resolves once every job's final state came, or
 * after `giveUpMs` (then the jobs without one show it in gapsIn): a test that failed elsewhere must
 * not leave followers resubscribing for ever and keep its process alive.
 */
export async function followJobs(url: string, key: string, ids: string[], connections = 16, giveUpMs = 240_000): Promise<Map<string, Followed>> {
  const out = new Map(ids.map((id) => [id, { states: [], resumes: 0, errors: [] } as Followed]));
  const clients = Array.from({ length: Math.min(connections, ids.length) }, () => wsClient(url, key));
  const giveUpAt = Date.now() + giveUpMs;
  try {
    await Promise.all(ids.map((id, i) => followOne(clients[i % clients.length]!, id, out.get(id)!, giveUpAt)));
  } finally {
    await Promise.all(clients.map((c) => c.dispose()));
  }
  return out;
}

async function followOne(client: ReturnType<typeof wsClient>, id: string, f: Followed, giveUpAt: number): Promise<void> {
  while (Date.now() < giveUpAt) {
    const after = f.states.at(-1)?.version ?? 0;
    await new Promise<void>((resolve) => {
      const giveUp = setTimeout(() => {
        f.errors.push('gave up');
        unsubscribe();
        resolve();
      }, giveUpAt - Date.now());
      const done = () => {
        clearTimeout(giveUp);
        resolve();
      };
      const unsubscribe = client.subscribe<{ jobUpdated: JobState }>(
        { query: FOLLOW_JOB, variables: { id, after } },
        {
          next: (v) => {
            if (v.errors) f.errors.push(v.errors.map((e) => (e.extensions?.code as string) ?? e.message).join(','));
            else if (v.data) f.states.push(v.data.jobUpdated);
          },
          error: (err) => {
            f.errors.push(String((err as { code?: number; reason?: string })?.code ?? (err as Error)?.message ?? err));
            done();
          },
          complete: done,
        },
      );
    });
    if (FINAL_STATES.has(f.states.at(-1)?.status ?? '')) return;
    f.resumes++;
    await new Promise((r) => setTimeout(r, 200 + Math.random() * 300));
  }
}

/** Problems with what a follower saw: a gap or a repeat in the versions, or no final state. */
export function gapsIn(f: Followed): string[] {
  const problems: string[] = [];
  f.states.forEach((s, i) => {
    if (s.version !== i + 1) problems.push(`state ${i} has version ${s.version}, expected ${i + 1}`);
  });
  if (!FINAL_STATES.has(f.states.at(-1)?.status ?? '')) problems.push(`last state ${f.states.at(-1)?.status}`);
  return problems;
}
