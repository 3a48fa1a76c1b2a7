import { z } from 'zod';
import { AmocrmControlError } from './errors';

/** Arguments of the amoCRM control API; the same schemas check in-process calls and HTTP bodies. */

const hostname = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/i, 'a host name like shop.amocrm.ru');

export const createAccountArgsSchema = z.object({
  id: z.number().int().positive().optional(),
  subdomain: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/i, 'letters, digits and dashes')
    .optional(),
  /** The account host; `<subdomain>.amocrm.ru` by default. */
  domain: hostname.optional(),
  name: z.string().min(1).optional(),
  amojoId: z.string().min(1).optional(),
  /** Pipelines to create (the first is the main one); one "Sales" pipeline by default. */
  pipelines: z
    .array(z.object({ name: z.string().min(1), statuses: z.array(z.string().min(1)).optional() }))
    .min(1)
    .optional(),
});
export type CreateAccountArgs = z.input<typeof createAccountArgsSchema>;

export const addIntegrationArgsSchema = z.object({
  clientId: z.string().min(1).optional(),
  clientSecret: z.string().min(1).optional(),
  redirectUri: z.url(),
  disableUrl: z.url().nullable().optional(),
});
export type AddIntegrationArgs = z.input<typeof addIntegrationArgsSchema>;

export const issueCodeArgsSchema = z.object({
  accountId: z.number().int().positive(),
  clientId: z.string().min(1).optional(),
  state: z.string().optional(),
  fromWidget: z.boolean().default(true),
  /** Lifetime; amoCRM's codes live 20 minutes. */
  ttlSec: z
    .number()
    .int()
    .positive()
    .default(20 * 60),
});
export type IssueCodeArgs = z.input<typeof issueCodeArgsSchema>;

export const disableHookArgsSchema = z.object({
  accountId: z.number().int().positive(),
  clientId: z.string().min(1).optional(),
  /** The integration's disable-webhook URL when omitted. */
  url: z.url().optional(),
  /** Send a wrong signature (to test that the server refuses it). */
  tamper: z.boolean().default(false),
  /** Also revoke the account's tokens, as a real uninstall does. */
  revoke: z.boolean().default(true),
});
export type DisableHookArgs = z.input<typeof disableHookArgsSchema>;

export const widgetTokenArgsSchema = z.object({
  accountId: z.number().int().positive(),
  clientId: z.string().min(1).optional(),
  audience: z.string().min(1),
  userId: z.number().int().positive().default(1),
  expiresInSec: z.number().int().positive().default(1800),
});
export type WidgetTokenArgs = z.input<typeof widgetTokenArgsSchema>;

export const failNextArgsSchema = z.object({
  count: z.number().int().positive().default(1),
  status: z.number().int().min(400).max(599),
  retryAfter: z.number().int().nonnegative().optional(),
});
export type FailNextArgs = z.input<typeof failNextArgsSchema>;

export function parseControlArgs<S extends z.ZodType>(schema: S, args: unknown): z.output<S> {
  const result = schema.safeParse(args ?? {});
  if (result.success) return result.data as z.output<S>;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ` : '';
  throw new AmocrmControlError('invalid_argument', `${where}${issue?.message ?? 'invalid arguments'}`, { cause: result.error });
}
