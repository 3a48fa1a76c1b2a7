import { z } from 'zod';
import { AmocrmError } from './errors';
import type { AmocrmRequester } from './rest-client';

/** `GET /api/v4/account?with=amojo_id`: how amoCRM itself tells us which amojo_id is the account's. */
const accountSchema = z.looseObject({
  id: z.number().int().positive(),
  name: z.string().optional(),
  subdomain: z.string().optional(),
  amojo_id: z.string().min(1),
});

export type AmocrmAccountInfo = z.infer<typeof accountSchema>;

export async function readAccount(request: AmocrmRequester): Promise<AmocrmAccountInfo> {
  const { body } = await request({ method: 'GET', path: '/api/v4/account', query: { with: 'amojo_id' } });
  const parsed = accountSchema.safeParse(body);
  if (!parsed.success) throw new AmocrmError('bad_response', "amoCRM's /api/v4/account answer has no id or amojo_id", { cause: parsed.error });
  return parsed.data;
}
