// The Kubernetes manifests, written as typed objects (kubernetes-models: the API's own schemas,
// and tsc rejects a misspelt field) and printed to *.yaml by `npm run deploy:generate`; `npm test`
// checks the YAML is current and validates every object. Nothing here was applied to a cluster.
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Service } from 'kubernetes-models/v1';
import { loadConfig } from '../../src/config.ts';
import { JOB_KINDS } from '../../src/jobs/kinds.ts';
import { queueDepthQuery } from './keda-query.ts';

const defaults = loadConfig({});
const labels = (component: string) => ({ 'app.kubernetes.io/name': 'voxgraph', 'app.kubernetes.io/component': component });
// The Secret the operator creates: DATABASE_URL, API_KEYS, SIGNING_SECRET (shared by every API, so
// any of them verifies a signed URL), METRICS_TOKEN.
const SECRET = 'voxgraph';
const secretEnv = (name: string, optional = false) => ({ name, valueFrom: { secretKeyRef: { name: SECRET, key: name, optional } } });
// Files: one ReadWriteMany volume that every API and worker mounts as DATA_DIR (STORAGE=local).
const DATA_CLAIM = 'voxgraph-data';
const HEALTH_FILE = '/tmp/voxgraph-worker-alive';
// Each queue's reference model, loaded when its weights are on the models volume (docs/engines.md).
const MODEL_DIRS: Record<(typeof JOB_KINDS)[number], [string, string]> = {
  denoise: ['FRCRN_MODEL_DIR', '/models/frcrn'],
  align: ['QWEN3_ALIGNER_MODEL_DIR', '/models/qwen3-forced-aligner'],
  synthesize: ['INDEXTTS2_MODEL_DIR', '/models/indextts2'],
};

// A worker stopping (SIGTERM) gives running jobs WORKER_SHUTDOWN_GRACE_SECONDS, then hands the rest
// back within WORKER_HANDBACK_SECONDS (README "Stopping"): Kubernetes must wait that long, plus a margin.
export const WORKER_TERMINATION_SECONDS = defaults.shutdown.workerGraceSeconds + defaults.shutdown.workerHandbackSeconds + 10;
// An API with WORKERS=0 closes its HTTP server, pg-boss and pools in a few seconds; open
// subscriptions are closed (1001) and clients resume on another pod.
export const API_TERMINATION_SECONDS = 30;

export function manifests() {
  const api = new Deployment({
    metadata: { name: 'voxgraph-api', labels: labels('api') },
    spec: {
      replicas: 2,
      selector: { matchLabels: labels('api') },
      template: {
        metadata: { labels: labels('api'), annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '4000', 'prometheus.io/path': '/metrics' } },
        spec: {
          terminationGracePeriodSeconds: API_TERMINATION_SECONDS,
          containers: [
            {
              name: 'api',
              image: 'voxgraph-api:latest',
              ports: [{ name: 'http', containerPort: 4000 }],
              env: [
                { name: 'NODE_ENV', value: 'production' },
                { name: 'HOST', value: '0.0.0.0' },
                { name: 'PORT', value: '4000' },
                { name: 'WORKERS', value: '0' }, // API only: workers are their own Deployments
                { name: 'DATA_DIR', value: '/data' },
                secretEnv('DATABASE_URL'),
                secretEnv('API_KEYS'),
                secretEnv('SIGNING_SECRET'),
                secretEnv('METRICS_TOKEN', true),
                { name: 'PUBLIC_URL', value: 'https://voxgraph.example.com' },
              ],
              readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 5, failureThreshold: 2 },
              livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10, failureThreshold: 3 },
              resources: { requests: { cpu: '500m', memory: '512Mi' }, limits: { memory: '2Gi' } },
              volumeMounts: [{ name: 'data', mountPath: '/data' }],
            },
          ],
          volumes: [{ name: 'data', persistentVolumeClaim: { claimName: DATA_CLAIM } }],
        },
      },
    },
  });
  const service = new Service({
    metadata: { name: 'voxgraph-api', labels: labels('api') },
    spec: { selector: labels('api'), ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
  });
  const hpa = new HorizontalPodAutoscaler({
    metadata: { name: 'voxgraph-api', labels: labels('api') },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'voxgraph-api' },
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
    },
  });
  const auth = new TriggerAuthentication({
    metadata: { name: 'voxgraph-postgres', labels: labels('worker') },
    spec: { secretTargetRef: [{ parameter: 'connection', name: SECRET, key: 'DATABASE_URL' }] },
  });
  const workers = JOB_KINDS.flatMap((queue) => {
    const name = `voxgraph-worker-${queue}`;
    const l = { ...labels('worker'), 'voxgraph.dev/queue': queue };
    // Fresh while heartbeats reach the database (WORKER_HEALTH_FILE); a worker whose database
    // connection is gone for a minute is restarted, one still loading its models is not ready.
    const alive = { exec: { command: ['sh', '-c', `test -n "$(find ${HEALTH_FILE} -newermt '-60 seconds' 2>/dev/null)"`] } };
    const deployment = new Deployment({
      metadata: { name, labels: l },
      spec: {
        replicas: 1,
        selector: { matchLabels: l },
        template: {
          metadata: { labels: l },
          spec: {
            terminationGracePeriodSeconds: WORKER_TERMINATION_SECONDS,
            containers: [
              {
                name: 'worker',
                image: 'voxgraph-worker:latest',
                command: ['python', '-m', 'voxgraph_worker'],
                env: [
                  { name: 'WORKER_QUEUES', value: queue },
                  { name: 'WORKER_DEVICE', value: 'cuda' },
                  { name: 'WORKER_CONCURRENCY', value: 'auto' },
                  { name: 'WORKER_HEALTH_FILE', value: HEALTH_FILE },
                  { name: MODEL_DIRS[queue][0], value: MODEL_DIRS[queue][1] },
                  { name: 'WORKER_SHUTDOWN_GRACE_SECONDS', value: String(defaults.shutdown.workerGraceSeconds) },
                  { name: 'WORKER_HANDBACK_SECONDS', value: String(defaults.shutdown.workerHandbackSeconds) },
                  { name: 'DATA_DIR', value: '/data' },
                  secretEnv('DATABASE_URL'),
                ],
                resources: { requests: { cpu: '2', memory: '8Gi' }, limits: { 'nvidia.com/gpu': '1', memory: '16Gi' } },
                startupProbe: { ...alive, periodSeconds: 10, failureThreshold: 60 }, // models may take minutes to load
                readinessProbe: { ...alive, periodSeconds: 10 },
                livenessProbe: { ...alive, periodSeconds: 20, failureThreshold: 3 },
                volumeMounts: [
                  { name: 'data', mountPath: '/data' },
                  { name: 'models', mountPath: '/models', readOnly: true },
                ],
              },
            ],
            tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
            volumes: [
              { name: 'data', persistentVolumeClaim: { claimName: DATA_CLAIM } },
              { name: 'models', persistentVolumeClaim: { claimName: 'voxgraph-models', readOnly: true } },
            ],
          },
        },
      },
    });
    const scaler = new ScaledObject({
      metadata: { name, labels: l },
      spec: {
        scaleTargetRef: { name },
        minReplicaCount: 1, // a cold worker loads its models first: keep one warm
        maxReplicaCount: 8,
        pollingInterval: 15,
        cooldownPeriod: 300,
        triggers: [
          {
            type: 'postgresql',
            authenticationRef: { name: 'voxgraph-postgres' },
            // One worker per this many jobs it should be on (a GPU worker runs batches of up to 16).
            metadata: { query: queueDepthQuery(queue), targetQueryValue: '16', activationTargetQueryValue: '1' },
          },
        ],
      },
    });
    return [deployment, scaler];
  });
  return {
    'api.yaml': [api, service, hpa],
    'workers.yaml': workers.filter((o) => o instanceof Deployment),
    'keda.yaml': [auth, ...workers.filter((o) => o instanceof ScaledObject)],
  };
}
