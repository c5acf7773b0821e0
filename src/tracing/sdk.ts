// OpenTelemetry in the API: @opentelemetry/sdk-node, exporting over OTLP/HTTP when
// OTEL_EXPORTER_OTLP_ENDPOINT is set (the standard OTEL_* variables configure the rest). Off
// otherwise: the API's tracer is then the no-op one and costs nothing. Tests pass a span processor
// of their own.
// The SDK and the exporter are loaded only when tracing is on: they are big, and an API without
// an endpoint should not pay for them at start-up or in memory.
import { trace, type Tracer } from '@opentelemetry/api';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';

export const TRACER_NAME = 'voxgraph';
export const tracer = (): Tracer => trace.getTracer(TRACER_NAME);

export type Tracing = { enabled: boolean; stop: () => Promise<void> };

export async function startTracing(env: NodeJS.ProcessEnv, opts: { spanProcessor?: SpanProcessor } = {}): Promise<Tracing> {
  // The spec's rule: the traces endpoint as given, or the base endpoint + /v1/traces.
  const url = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || (env.OTEL_EXPORTER_OTLP_ENDPOINT ? `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces` : undefined);
  if (!opts.spanProcessor && !url) return { enabled: false, stop: async () => {} };
  const [{ NodeSDK }, { BatchSpanProcessor }, { OTLPTraceExporter }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/exporter-trace-otlp-http'),
  ]);
  const processor = opts.spanProcessor ?? new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url }) });
  const sdk = new NodeSDK({ serviceName: env.OTEL_SERVICE_NAME ?? 'voxgraph-api', spanProcessors: [processor], instrumentations: [] });
  sdk.start();
  started = true;
  return {
    enabled: true,
    stop: async () => {
      started = false;
      await sdk.shutdown();
    },
  };
}

let started = false;
/** Whether startTracing registered an SDK in this process (the API then traces operations and job lives). */
export const tracingEnabled = () => started;
