import { pino } from 'pino';

// One logger for the process; main sets its level from the config. Modules take a child with
// their own `module` field.
export const log = pino({ level: 'info', base: { service: 'voxgraph-api' } });
export type Logger = typeof log;
