import { z } from 'zod';

/**
 * What amoCRM sends us (/amocrm/v1): the OAuth callback after an install and the disable hook
 * after an uninstall. Query strings, so every value is a string; unknown parameters are kept out.
 */
const param = (name: string, max: number) =>
  z
    .string({ message: `is required (amoCRM sends ${name})` })
    .min(1, 'must not be empty')
    .max(max);

export const oauthCallbackQuerySchema = z.object({
  code: param('the authorization code', 4096),
  referer: param("the account's host", 253),
  state: z.string().max(512).optional(),
  from_widget: z.string().max(8).optional(),
  client_id: z.string().max(128).optional(),
});
export type OAuthCallbackQuery = z.infer<typeof oauthCallbackQuerySchema>;

export const disableHookQuerySchema = z.object({
  account_id: param('the amoCRM account id', 20),
  client_uuid: param('the integration id', 128),
  signature: param('the signature', 128),
});
export type DisableHookQuery = z.infer<typeof disableHookQuerySchema>;

export interface InstallReply {
  status: 'installed';
  amocrm_account_id: number;
  amojo_id: string;
  domain: string;
  reinstalled: boolean;
}
export interface UninstallReply {
  status: 'uninstalled';
  disconnected: number;
}
