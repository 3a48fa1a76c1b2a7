import { parseRetryAfter } from '@amochan/amojo';
import { z } from 'zod';
import { AmocrmError, type AmocrmErrorCode } from './errors';

/**
 * amoCRM answers errors as application/problem+json ({title, type, status, detail, hint?,
 * validation-errors?}). The Sources API's refusals are not documented code by code, so the
 * classification hedges: a `NotUnique`/"already exists" on external_id is a taken id, any mention of
 * a limit is the per-integration source limit, the rest is a plain validation failure.
 */
const problemSchema = z
  .object({
    title: z.string().optional(),
    detail: z.string().optional(),
    hint: z.string().optional(),
    status: z.number().optional(),
    'validation-errors': z
      .array(
        z.looseObject({
          request_id: z.union([z.string(), z.number()]).optional(),
          errors: z.array(z.looseObject({ code: z.string().optional(), path: z.string().optional(), detail: z.string().optional() })).optional(),
        }),
      )
      .optional(),
  })
  .loose();

export type Problem = z.infer<typeof problemSchema>;

export function parseProblem(text: string): Problem | null {
  try {
    const parsed = problemSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

function classify400(problem: Problem | null): AmocrmErrorCode {
  const issues = (problem?.['validation-errors'] ?? []).flatMap((v) => v.errors ?? []);
  const text = [problem?.title, problem?.detail, problem?.hint, ...issues.flatMap((i) => [i.code, i.detail])].join(' ');
  if (/limit/i.test(text)) return 'source_limit_reached';
  if (issues.some((i) => i.path === 'external_id' && /unique|exist|duplicate|taken/i.test(`${i.code} ${i.detail}`))) return 'external_id_taken';
  return 'validation_failed';
}

/** One error for one non-2xx answer of the REST API. */
export function errorFromResponse(status: number, text: string, retryAfterHeader: string | null, nowMs: number, what: string): AmocrmError {
  const problem = parseProblem(text);
  const summary = problem?.detail ?? problem?.title ?? `HTTP ${status}`;
  const details = problem?.['validation-errors'] ? { validationErrors: problem['validation-errors'] } : undefined;
  const opts = { status, ...(details ? { details } : {}) };
  if (status === 401) return new AmocrmError('unauthorized', `${what}: amoCRM refused the access token (${summary})`, opts);
  if (status === 429) {
    // Whole seconds, rounded up: AmocrmError.retryAfter is what a Retry-After of ours would say.
    const retryAfterMs = parseRetryAfter(retryAfterHeader, nowMs);
    const retryAfter = retryAfterMs === undefined ? undefined : Math.ceil(retryAfterMs / 1000);
    return new AmocrmError('rate_limited', `${what}: amoCRM rate limit hit; retry later`, { ...opts, ...(retryAfter !== undefined ? { retryAfter } : {}) });
  }
  if (status >= 500) return new AmocrmError('amocrm_unavailable', `${what}: amoCRM answered ${status}; retry later`, opts);
  if (status === 402 || status === 403)
    return new AmocrmError('forbidden', `${what}: amoCRM refused access (${summary}); check the account's plan and the integration's rights`, opts);
  if (status === 404) return new AmocrmError('not_found', `${what}: not found in amoCRM (${summary})`, opts);
  if (status === 400 || status === 422) {
    const code = classify400(problem);
    const hint =
      code === 'source_limit_reached'
        ? "the integration has reached amoCRM's limit of sources per account (50 to 100); remove channels or sources"
        : code === 'external_id_taken'
          ? 'a source with this external_id already exists in the account'
          : summary;
    return new AmocrmError(code, `${what}: ${hint}`, opts);
  }
  return new AmocrmError('bad_response', `${what}: unexpected answer ${status} (${summary})`, opts);
}
