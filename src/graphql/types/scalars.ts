import { GraphQLUpload } from 'graphql-upload-ts';
import { GraphQLError, Kind } from 'graphql';
import { builder } from '../builder.ts';

// GraphQL multipart request spec uploads, streamed by graphql-upload-ts.
builder.addScalarType('Upload', GraphQLUpload as never);

// ISO-8601 with a date, a time and a zone: what Date.parse would also take ("5", "May 5") is refused.
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const parseDateTime = (v: unknown): Date => {
  const d = typeof v === 'string' && ISO.test(v) ? new Date(v) : new Date(NaN);
  if (Number.isNaN(d.getTime())) throw new GraphQLError('DateTime must be an ISO-8601 date-time with a zone, e.g. 2026-11-21T10:54:00Z', { extensions: { code: 'BAD_USER_INPUT' } });
  return d;
};

builder.scalarType('DateTime', {
  description: 'An ISO-8601 date-time in UTC, e.g. 2026-11-21T10:54:00.000Z.',
  serialize: (d) => (d instanceof Date ? d.toISOString() : new Date(d as string).toISOString()),
  parseValue: parseDateTime,
  parseLiteral: (ast) => parseDateTime(ast.kind === Kind.STRING ? ast.value : null),
});
