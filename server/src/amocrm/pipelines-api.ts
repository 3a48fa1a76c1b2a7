import { z } from 'zod';
import { AmocrmError } from './errors';
import type { AmocrmRequester } from './rest-client';

const statusSchema = z.looseObject({ id: z.number().int(), name: z.string(), sort: z.number().optional() });
const pipelineSchema = z.looseObject({
  id: z.number().int().positive(),
  name: z.string(),
  sort: z.number().optional(),
  is_main: z.boolean().optional(),
  is_archive: z.boolean().optional(),
  _embedded: z.looseObject({ statuses: z.array(statusSchema).optional() }).optional(),
});
const answerSchema = z.looseObject({ _embedded: z.looseObject({ pipelines: z.array(pipelineSchema) }) });

export interface AmocrmPipeline {
  id: number;
  name: string;
  sort: number;
  isMain: boolean;
  isArchive: boolean;
  statuses: Array<{ id: number; name: string }>;
}

/** `GET /api/v4/leads/pipelines`: the widget's pipeline picker shows what amoCRM has. */
export async function listPipelines(request: AmocrmRequester): Promise<AmocrmPipeline[]> {
  const { body } = await request({ method: 'GET', path: '/api/v4/leads/pipelines' });
  if (body === null) return [];
  const parsed = answerSchema.safeParse(body);
  if (!parsed.success) throw new AmocrmError('bad_response', "amoCRM's pipelines answer is not a list of pipelines", { cause: parsed.error });
  return parsed.data._embedded.pipelines.map((p) => ({
    id: p.id,
    name: p.name,
    sort: p.sort ?? 0,
    isMain: p.is_main ?? false,
    isArchive: p.is_archive ?? false,
    statuses: (p._embedded?.statuses ?? []).map((s) => ({ id: s.id, name: s.name })),
  }));
}
