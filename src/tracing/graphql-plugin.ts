// Each GraphQL operation runs inside a SERVER span ("graphql mutation Denoise"), made the active
// context for its resolvers: what they start — pg-boss's send of the job, whose trace context
// pg-boss stores on the job row — becomes part of the request's trace.
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { tracer } from './sdk.ts';

export function useOperationTracing(): Plugin {
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const op = getOperationAST(args.document, args.operationName);
      const name = `graphql ${op?.operation ?? 'operation'}${op?.name ? ` ${op.name.value}` : ''}`;
      setExecuteFn(async (a) => {
        const span = tracer().startSpan(name, { kind: SpanKind.SERVER, attributes: { 'graphql.operation.type': op?.operation ?? '', 'graphql.operation.name': op?.name?.value ?? '' } });
        try {
          const result = await context.with(trace.setSpan(context.active(), span), () => executeFn(a));
          const errors = 'errors' in result ? result.errors : undefined;
          if (errors?.length) span.setStatus({ code: SpanStatusCode.ERROR, message: String(errors[0]!.extensions?.code ?? errors[0]!.message) });
          return result;
        } finally {
          span.end();
        }
      });
    },
  };
}
