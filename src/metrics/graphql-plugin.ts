// A Yoga plugin that times each GraphQL operation and counts its errors by code. Operation names
// are the client's to choose, so the label is bounded (boundedLabel).
import { getOperationAST, type GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { boundedLabel, type Metrics } from './registry.ts';

const codeOf = (e: GraphQLError) => (typeof e.extensions?.code === 'string' ? e.extensions.code : 'BAD_REQUEST');

export function useOperationMetrics(metrics: Metrics): Plugin {
  const name = boundedLabel(200);
  return {
    onValidate({ params }) {
      return ({ result }) => {
        if (!result.length) return;
        const op = getOperationAST(params.documentAST);
        const operation = name(op?.name?.value);
        for (const e of result) metrics.graphqlErrors.inc({ operation_name: operation, code: codeOf(e) });
      };
    },
    onExecute({ args }) {
      const started = performance.now();
      const op = getOperationAST(args.document, args.operationName);
      const labels = { operation_name: name(op?.name?.value ?? args.operationName), operation_type: op?.operation ?? 'unknown' };
      return {
        onExecuteDone({ result }) {
          metrics.graphqlDuration.observe(labels, (performance.now() - started) / 1000);
          const errors = 'errors' in result ? result.errors : undefined;
          for (const e of errors ?? []) metrics.graphqlErrors.inc({ operation_name: labels.operation_name, code: codeOf(e) });
        },
      };
    },
  };
}
