// What one GraphQL operation may cost before any of it runs (README, "Limits").
//
// - Before parsing: the query text's size (smaller for a request without a valid key), and
//   whether a request without a key may send a document at all (GRAPHQL_INTROSPECTION).
// - While parsing: a token budget (graphql-armor's max-tokens stops the parser, so a huge
//   document is never built).
// - At validation: depth, aliases, directives and a cost budget (graphql-armor).
// - The parse and validation caches are bounded by size, not only by count: a cache of 1,024
//   documents of 1 MiB each would be gigabytes of AST.
// Every refusal has a code: QUERY_TOO_LARGE (bytes, tokens) or QUERY_TOO_COMPLEX (depth, aliases,
// directives, cost), with `extensions.limit` naming the limit and `extensions.max` its value.
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { GraphQLError, NoSchemaIntrospectionCustomRule, type ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import type { Config } from '../config.ts';
import { apiError, ErrorCode } from '../errors.ts';

export type GraphqlLimits = Config['graphql'];

/** The parse cache: entries counted by an estimate of their AST's size (≈ 50 bytes per byte of text). */
export function parseCaches(limits: GraphqlLimits) {
  const cache = <T extends object>() =>
    new LRUCache<string, T>({ max: 1024, maxSize: limits.parseCacheMb * 2 ** 20, sizeCalculation: (_v, key) => Math.max(1, key.length * 50) });
  return { documentCache: cache<any>(), errorCache: cache<any>() };
}

/**
 * Refuses a query text before it is parsed: too long, or sent without a valid key where that is
 * not allowed. `authenticated`: whether the request carries a valid key.
 */
export function checkQueryText(query: unknown, authenticated: boolean, limits: GraphqlLimits): void {
  if (!authenticated && limits.introspection !== 'public') {
    throw apiError(ErrorCode.UNAUTHENTICATED, 'a valid API key is required: send "Authorization: Bearer <key>"', { http: { status: 401 } });
  }
  const max = authenticated ? limits.maxQueryBytes : limits.maxAnonymousQueryBytes;
  const bytes = typeof query === 'string' ? Buffer.byteLength(query) : 0;
  if (bytes > max) {
    throw apiError(ErrorCode.QUERY_TOO_LARGE, `the query is ${bytes} bytes; the limit is ${max}${authenticated ? '' : ' without an API key'}`, {
      limit: 'bytes',
      max,
      http: { status: 413 },
    });
  }
}

/** Tags graphql-armor's refusals with our codes (it throws plain GraphQLErrors). */
const tag = (code: ErrorCode, limit: string, max: number) => [
  (_ctx: ValidationContext | null, err: GraphQLError) => Object.assign(err.extensions as Record<string, unknown>, { code, limit, max }),
];

/** The Yoga/Envelop plugins: the pre-parse check for HTTP (WebSocket calls checkQueryText itself) and graphql-armor. */
export function limitPlugins(limits: GraphqlLimits, isAuthenticated: (request: Request) => boolean): Plugin[] {
  const plugins: Plugin[] = [
    {
      onParams({ params, request }) {
        checkQueryText(params.query, isAuthenticated(request), limits);
      },
    },
    EnvelopArmorPlugin({
      maxTokens: { n: limits.maxTokens, exposeLimits: true, onReject: tag(ErrorCode.QUERY_TOO_LARGE, 'tokens', limits.maxTokens) },
      maxDepth: { n: limits.maxDepth, exposeLimits: true, ignoreIntrospection: true, onReject: tag(ErrorCode.QUERY_TOO_COMPLEX, 'depth', limits.maxDepth) },
      maxAliases: { n: limits.maxAliases, exposeLimits: true, onReject: tag(ErrorCode.QUERY_TOO_COMPLEX, 'aliases', limits.maxAliases) },
      maxDirectives: { n: limits.maxDirectives, exposeLimits: true, onReject: tag(ErrorCode.QUERY_TOO_COMPLEX, 'directives', limits.maxDirectives) },
      costLimit: { maxCost: limits.maxCost, exposeLimits: true, ignoreIntrospection: true, onReject: tag(ErrorCode.QUERY_TOO_COMPLEX, 'cost', limits.maxCost) },
      // Suggestions ("did you mean …") tell a prober the schema; the SDL is published anyway, but
      // a production API need not spell it out to anyone who mistypes.
      blockFieldSuggestion: { enabled: false },
    }) as Plugin,
  ];
  if (limits.introspection === 'off') {
    plugins.push({ onValidate: ({ addValidationRule }) => addValidationRule(NoSchemaIntrospectionCustomRule) });
  }
  return plugins;
}
