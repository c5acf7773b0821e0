// CPU time per process, read from /proc/<pid>/stat (utime + stime, and cutime + cstime: what the
// process's children that it already reaped spent). The benchmarks snapshot it before and after a
// run and divide by the jobs done, so each figure is the CPU one part of the stack spends per job.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // sysconf(_SC_CLK_TCK) on Linux

export type ProcStat = { pid: number; ppid: number; comm: string; self: number; children: number };

function readStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null; // exited
  }
  // comm is in parentheses and may itself contain spaces or parentheses.
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  const f = text.slice(close + 2).split(' ');
  // f[0] is field 3 (state): utime is field 14 → f[11], stime f[12], cutime f[13], cstime f[14].
  const n = (i: number) => Number(f[i]) / TICKS_PER_SECOND;
  return { pid, ppid: Number(f[1]), comm, self: n(11) + n(12), children: n(13) + n(14) };
}

export function allProcesses(): Map<number, ProcStat> {
  const out = new Map<number, ProcStat>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) out.set(s.pid, s);
  }
  return out;
}

export function descendants(all: Map<number, ProcStat>, root: number): ProcStat[] {
  const byParent = new Map<number, ProcStat[]>();
  for (const p of all.values()) byParent.set(p.ppid, [...(byParent.get(p.ppid) ?? []), p]);
  const out: ProcStat[] = [];
  const stack = [...(byParent.get(root) ?? [])];
  while (stack.length) {
    const p = stack.pop()!;
    out.push(p);
    stack.push(...(byParent.get(p.pid) ?? []));
  }
  return out;
}

/** Busy CPU seconds of the whole machine (all cores), from /proc/stat. */
export function machineBusySeconds(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal ...
  const busy = cpu[0]! + cpu[1]! + cpu[2]! + cpu[5]! + cpu[6]! + (cpu[7] ?? 0);
  return busy / TICKS_PER_SECOND;
}

export type CpuParts = Record<string, number>;

/**
 * One snapshot of the stack's CPU seconds, split into parts:
 * - api: the API process itself; api helpers: what its reaped children spent (ffprobe/ffmpeg);
 * - workers: the Python worker processes under the API and everything they ran;
 * - postgres: the benchmark's own PostgreSQL cluster (postmaster, every backend, live or reaped);
 * - load generator: this process;
 * - machine: every core's busy time, to show what else ran.
 */
export function snapshot(apiPid: number, postmasterPid: number | undefined): CpuParts {
  const all = allProcesses();
  const api = all.get(apiPid);
  const workers = descendants(all, apiPid).filter((p) => p.comm.startsWith('python'));
  const workerTrees = workers.flatMap((w) => [w, ...descendants(all, w.pid)]);
  const pm = postmasterPid ? all.get(postmasterPid) : undefined;
  const pgProcs = pm ? [pm, ...descendants(all, pm.pid)] : [];
  const me = process.cpuUsage();
  return {
    api: api?.self ?? 0,
    'api helpers (spawned)': api?.children ?? 0,
    workers: workerTrees.reduce((a, p) => a + p.self, 0) + workers.reduce((a, p) => a + p.children, 0),
    postgres: pgProcs.reduce((a, p) => a + p.self, 0) + (pm?.children ?? 0),
    'load generator': (me.user + me.system) / 1e6,
    machine: machineBusySeconds(),
  };
}

export function diff(a: CpuParts, b: CpuParts): CpuParts {
  return Object.fromEntries(Object.keys(b).map((k) => [k, (b[k] ?? 0) - (a[k] ?? 0)]));
}
