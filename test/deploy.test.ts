// deploy/: the alert rules and the Grafana dashboard refer only to metrics the API exports (a
// renamed metric fails here, not silently on a dashboard), every alert says how bad it is and
// what it means. (They cannot be loaded into a real Prometheus or Grafana on this machine.)
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import { createMetrics } from '../src/metrics/registry.ts';

const exported = new Set((await createMetrics().registry.getMetricsAsJSON()).map((m) => m.name));
const metricsIn = (expr: string) =>
  [...expr.matchAll(/\b((?:voxgraph|graphql|http|process)_[a-z0-9_]+)\b/g)].map((m) => m[1]!.replace(/_(bucket|count|sum)$/, ''));

test('every alert rule has an expression over exported metrics, a severity and a summary', () => {
  const doc = parse(readFileSync('deploy/prometheus/alerts.yml', 'utf8'));
  const rules = doc.groups.flatMap((g: { rules: unknown[] }) => g.rules) as Array<{ alert: string; expr: string; labels: { severity: string }; annotations: { summary: string } }>;
  assert.ok(rules.length >= 5);
  for (const alert of ['VoxgraphBacklogGrowing', 'VoxgraphNoWorkerForQueue', 'VoxgraphGraphQLErrorRate', 'VoxgraphDeadLetters']) assert.ok(rules.some((r) => r.alert === alert), alert);
  for (const r of rules) {
    assert.ok(['warning', 'critical'].includes(r.labels.severity), `${r.alert}: severity`);
    assert.ok(r.annotations.summary, `${r.alert}: summary`);
    const names = metricsIn(r.expr);
    assert.ok(names.length > 0, `${r.alert}: names a metric`);
    for (const n of names) assert.ok(exported.has(n), `${r.alert}: ${n} is not exported`);
  }
});

test('every dashboard panel queries exported metrics', () => {
  const dash = JSON.parse(readFileSync('deploy/grafana/voxgraph-dashboard.json', 'utf8'));
  assert.ok(dash.panels.length >= 10);
  const used = new Set<string>();
  for (const p of dash.panels) {
    for (const t of p.targets) {
      const names = metricsIn(t.expr);
      assert.ok(names.length, `${p.title}: names a metric`);
      for (const n of names) {
        assert.ok(exported.has(n), `${p.title}: ${n} is not exported`);
        used.add(n);
      }
    }
  }
  const unused = [...exported].filter((n) => n.startsWith('voxgraph_') && !used.has(n));
  assert.deepEqual(unused, [], 'every voxgraph metric has a panel');
});
