import type { z } from 'zod';
import { fromZodError } from './error-handler';

/** Parses a body or query with its schema; a failure is invalid_request naming the first bad field. */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown, where: 'body' | 'query'): T {
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw fromZodError(result.error, where);
  return result.data;
}
