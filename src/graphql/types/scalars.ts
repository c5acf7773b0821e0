import { GraphQLUpload } from 'graphql-upload-ts';
import { GraphQLError, Kind } from 'graphql';
import { builder } from '../builder.ts';

// GraphQL multipart request spec uploads, streamed by graphql-upload-ts.
builder.addScalarType('Upload', GraphQLUpload as never);

builder.scalarType('DateTime', {
  description: 'An ISO-8601 date-time in UTC, e.g. 2026-11-21T10:54:00.000Z.',
  serialize: (d) => (d instanceof Date ? d.toISOString() : new Date(d as string).toISOString()),
  parseValue: (v) => {
    const d = new Date(String(v));
    if (Number.isNaN(d.getTime())) throw new GraphQLError('DateTime must be an ISO-8601 string');
    return d;
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING || Number.isNaN(new Date(ast.value).getTime())) throw new GraphQLError('DateTime must be an ISO-8601 string');
    return new Date(ast.value);
  },
});
