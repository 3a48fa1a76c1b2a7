import type { Response } from 'express';

/**
 * amoCRM answers API errors as `application/problem+json` ({title, type, status, detail}, plus
 * `validation-errors` for a refused body). AmocrmProblem carries one to the router's error handler.
 */
export interface ValidationError {
  /** Index of the refused element in the request array, as a string (amoCRM's `request_id`). */
  request_id: string;
  errors: Array<{ code: string; path: string; detail: string }>;
}

export class AmocrmProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly extra: { validationErrors?: ValidationError[]; hint?: string; retryAfter?: number } = {},
  ) {
    super(`${status} ${title}: ${detail}`);
    this.name = 'AmocrmProblem';
  }
}

export const unauthorized = (detail: string): AmocrmProblem => new AmocrmProblem(401, 'Unauthorized', detail);
export const notFound = (detail: string): AmocrmProblem => new AmocrmProblem(404, 'Not Found', detail);
export const badRequest = (detail: string, validationErrors?: ValidationError[]): AmocrmProblem =>
  new AmocrmProblem(400, 'Bad Request', detail, validationErrors ? { validationErrors } : {});

export function sendProblem(res: Response, p: AmocrmProblem): void {
  const body: Record<string, unknown> = {
    title: p.title,
    type: `https://httpstatus.es/${p.status}`,
    status: p.status,
    detail: p.detail,
  };
  if (p.extra.hint) body.hint = p.extra.hint;
  if (p.extra.validationErrors) body['validation-errors'] = p.extra.validationErrors;
  if (p.extra.retryAfter !== undefined) res.setHeader('Retry-After', String(p.extra.retryAfter));
  res.status(p.status).type('application/problem+json').send(JSON.stringify(body));
}
