import { AppError } from './errors';

/**
 * Shape limits for JSON bodies, on top of the byte limit of each body parser. A body can be small
 * and still hostile: 1 MB of `[[[[…` parses fine (V8's JSON.parse is iterative) but every recursive
 * consumer after it — zod, JSON.stringify when the raw payload is stored, structuredClone — blows
 * the stack and would answer 500. So depth is checked before anything recursive touches the value,
 * and oversized strings are refused with the path that holds them.
 *
 * Codes (lib/errors.ts): 413 payload_too_large (bytes, from the body parser), 400 json_too_deep,
 * 400 string_too_long; details carry `path` and `limit`.
 */

export interface JsonLimits {
  /** Nesting of objects/arrays; the top-level object is depth 1. */
  maxDepth: number;
  /** Longest string, keys included (UTF-16 code units, as JS counts them). */
  maxStringLength: number;
}

/** Provider API: a message is at most 4 levels deep; 32 leaves room for any extra fields kept raw. */
export const PROVIDER_JSON_LIMITS: JsonLimits = { maxDepth: 32, maxStringLength: 65_536 };
/** Widget: tiny flat forms. */
export const WIDGET_JSON_LIMITS: JsonLimits = { maxDepth: 8, maxStringLength: 4_096 };
/** amojo hooks: only depth is limited (a long text from a manager must never be refused). */
export const WEBHOOK_MAX_DEPTH = 64;

export interface JsonViolation {
  code: 'json_too_deep' | 'string_too_long';
  path: string;
  limit: number;
}

const pathOf = (parts: ReadonlyArray<string | number>): string =>
  parts.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc === '' ? p : `${acc}.${p}`), '');

/** Iterative walk (an explicit stack), so the check itself cannot overflow. */
export function findJsonViolation(value: unknown, limits: JsonLimits, root = 'body'): JsonViolation | null {
  const stack: Array<{ value: unknown; depth: number; path: Array<string | number> }> = [{ value, depth: 0, path: [root] }];
  while (stack.length > 0) {
    const { value: v, depth, path } = stack.pop()!;
    if (typeof v === 'string') {
      if (v.length > limits.maxStringLength) return { code: 'string_too_long', path: pathOf(path), limit: limits.maxStringLength };
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > limits.maxDepth) return { code: 'json_too_deep', path: pathOf(path), limit: limits.maxDepth };
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], depth: depth + 1, path: [...path, i] });
      continue;
    }
    for (const key of Object.keys(v)) {
      if (key.length > limits.maxStringLength) return { code: 'string_too_long', path: pathOf([...path, key.slice(0, 32)]), limit: limits.maxStringLength };
      stack.push({ value: (v as Record<string, unknown>)[key], depth: depth + 1, path: [...path, key] });
    }
  }
  return null;
}

export function violationError(v: JsonViolation): AppError {
  const message =
    v.code === 'json_too_deep'
      ? `${v.path}: JSON nested deeper than ${v.limit} levels; flatten the body`
      : `${v.path}: string longer than ${v.limit} characters`;
  return new AppError(v.code, message, { details: { path: v.path, limit: v.limit } });
}

/**
 * Deepest nesting of a raw JSON text, scanning bytes without parsing (brackets inside strings do
 * not count). Stops early once `stopAbove` is exceeded. Invalid JSON still gets a number; the
 * parser reports the syntax error afterwards.
 */
export function rawJsonDepth(raw: Uint8Array, stopAbove = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > stopAbove) return max;
      }
    } else if (c === 0x7d || c === 0x5d) depth = Math.max(0, depth - 1);
  }
  return max;
}

/** Throws json_too_deep for a raw body nested deeper than `maxDepth`. */
export function assertRawJsonDepth(raw: Uint8Array, maxDepth: number): void {
  if (rawJsonDepth(raw, maxDepth) > maxDepth) throw violationError({ code: 'json_too_deep', path: 'body', limit: maxDepth });
}
