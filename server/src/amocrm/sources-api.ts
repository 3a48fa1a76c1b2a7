import { z } from 'zod';
import { AmocrmError } from './errors';
import type { AmocrmRequester } from './rest-client';

/**
 * `/api/v4/sources`: only the integration's own sources are visible (by token). Errors arrive as
 * AmocrmError: `external_id_taken`, `source_limit_reached`, `validation_failed`, `not_found`,
 * `unauthorized`, `rate_limited` (with retryAfter), `amocrm_unavailable`.
 */
const sourceSchema = z.looseObject({
  id: z.number().int().positive(),
  name: z.string(),
  external_id: z.string(),
  pipeline_id: z.number().int().nullable().optional(),
  default: z.boolean().nullable().optional(),
  origin_code: z.string().nullable().optional(),
});
const listSchema = z.looseObject({ _embedded: z.looseObject({ sources: z.array(sourceSchema) }) });

export interface AmocrmSourceInfo {
  id: number;
  name: string;
  externalId: string;
  pipelineId: number | null;
  isDefault: boolean;
}

export interface NewSource {
  name: string;
  externalId: string;
  /** Absent: amoCRM puts the source in the main pipeline. */
  pipelineId?: number;
  isDefault?: boolean;
  /** ≤ 20 characters, not only digits (amoCRM's rule). */
  originCode?: string;
}

export interface SourcePatch {
  id: number;
  name?: string;
  pipelineId?: number;
  isDefault?: boolean;
}

const toInfo = (s: z.infer<typeof sourceSchema>): AmocrmSourceInfo => ({
  id: s.id,
  name: s.name,
  externalId: s.external_id,
  pipelineId: s.pipeline_id ?? null,
  isDefault: s.default ?? false,
});

function parseList(body: unknown, what: string): AmocrmSourceInfo[] {
  if (body === null) return [];
  const parsed = listSchema.safeParse(body);
  if (!parsed.success) throw new AmocrmError('bad_response', `amoCRM's answer to ${what} is not a list of sources`, { cause: parsed.error });
  return parsed.data._embedded.sources.map(toInfo);
}

const toWire = (p: Partial<NewSource> & { id?: number }): Record<string, unknown> => ({
  ...(p.id !== undefined ? { id: p.id } : {}),
  ...(p.name !== undefined ? { name: p.name } : {}),
  ...(p.externalId !== undefined ? { external_id: p.externalId } : {}),
  ...(p.pipelineId !== undefined ? { pipeline_id: p.pipelineId } : {}),
  ...(p.isDefault !== undefined ? { default: p.isDefault } : {}),
  ...(p.originCode !== undefined ? { origin_code: p.originCode } : {}),
});

/** All of the integration's sources in the account, or those with the given external ids (204 ⇒ []). */
export async function listSources(request: AmocrmRequester, externalIds?: string[]): Promise<AmocrmSourceInfo[]> {
  const query = externalIds && externalIds.length > 0 ? { 'filter[external_id]': externalIds } : undefined;
  const { body } = await request({ method: 'GET', path: '/api/v4/sources', ...(query ? { query } : {}) });
  return parseList(body, 'GET /api/v4/sources');
}

export async function createSources(request: AmocrmRequester, sources: NewSource[]): Promise<AmocrmSourceInfo[]> {
  const { body } = await request({ method: 'POST', path: '/api/v4/sources', body: sources.map(toWire) });
  return parseList(body, 'POST /api/v4/sources');
}

export async function updateSources(request: AmocrmRequester, patches: SourcePatch[]): Promise<AmocrmSourceInfo[]> {
  const { body } = await request({ method: 'PATCH', path: '/api/v4/sources', body: patches.map(toWire) });
  return parseList(body, 'PATCH /api/v4/sources');
}

export async function updateSource(request: AmocrmRequester, patch: SourcePatch): Promise<AmocrmSourceInfo> {
  const { id, ...rest } = patch;
  const { body } = await request({ method: 'PATCH', path: `/api/v4/sources/${id}`, body: toWire(rest) });
  const parsed = sourceSchema.safeParse(body);
  if (!parsed.success) throw new AmocrmError('bad_response', "amoCRM's answer to PATCH /api/v4/sources/{id} is not a source", { cause: parsed.error });
  return toInfo(parsed.data);
}

/** Deletes by id; a source already gone (404) counts as deleted, so retries are safe. */
export async function deleteSources(request: AmocrmRequester, ids: number[]): Promise<void> {
  if (ids.length === 0) return;
  try {
    if (ids.length === 1) await request({ method: 'DELETE', path: `/api/v4/sources/${ids[0]}` });
    else await request({ method: 'DELETE', path: '/api/v4/sources', body: ids.map((id) => ({ id })) });
  } catch (err) {
    if (err instanceof AmocrmError && (err.code === 'not_found' || (err.code === 'validation_failed' && ids.length > 1))) {
      // One stale id refuses the whole array: fall back to one by one, ignoring the already-deleted.
      if (ids.length === 1) return;
      for (const id of ids) await deleteSources(request, [id]);
      return;
    }
    throw err;
  }
}
