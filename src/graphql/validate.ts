import { z } from 'zod';
import { apiError, ErrorCode } from '../errors.ts';

/** Parses with zod; the first issue becomes a BAD_USER_INPUT error naming the field (under `prefix`, e.g. a batch's `jobs.2.align`). */
export function validate<S extends z.ZodType>(schema: S, value: unknown, prefix?: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const field = [...(prefix ? [prefix] : []), ...issue.path].join('.');
  throw apiError(ErrorCode.BAD_USER_INPUT, field ? `${field}: ${issue.message}` : issue.message, { field: field || null });
}

export const uuid = z.uuid({ message: 'must be an id returned by this API' });
/** Whether a string is an id this API could have returned (lookups answer null or NOT_FOUND otherwise). */
export const isUuid = (s: string) => uuid.safeParse(s).success;
export const nonBlank = (max: number) =>
  z
    .string()
    .max(max, { message: `must be at most ${max} characters` })
    .refine((s) => /[\p{L}\p{N}]/u.test(s), { message: 'must contain at least one letter or digit' })
    // NUL and other control characters break engines and logs; tabs and newlines are fine.
    .refine((s) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(s), { message: 'must not contain control characters' });
