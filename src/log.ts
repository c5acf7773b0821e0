import { pino } from 'pino';

// node-postgres hangs the whole client (connection parameters, type tables, the socket) on some
// errors as `err.client`: kilobytes per line, and nothing anyone reads.
const errSerializer = (err: unknown) => {
  const out = pino.stdSerializers.err(err as Error) as Record<string, unknown>;
  delete out.client;
  return out;
};

// One logger for the process; main sets its level from the config. Modules take a child with
// their own `module` field.
export const log = pino({ level: 'info', base: { service: 'voxgraph-api' }, serializers: { err: errSerializer } });
export type Logger = typeof log;
