import type { z } from 'zod';
import { badRequest } from '../errors';

/**
 * Parses a request body with the emulator's own schema (its reading of the docs) and turns a
 * failure into amojo's 400. The first issue goes into error_description: enough to debug, about as
 * terse as amojo.
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ` : '';
  throw badRequest(`invalid request: ${where}${issue?.message ?? 'schema violation'}`);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The raw sub-object (unknown fields kept) behind a parsed, stripped one. */
export function rawObject(parent: unknown, key: string): Record<string, unknown> {
  if (!isRecord(parent)) return {};
  const value = parent[key];
  return isRecord(value) ? value : {};
}
