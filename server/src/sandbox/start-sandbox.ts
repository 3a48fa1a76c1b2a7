import { randomBytes, randomUUID } from 'node:crypto';
import { startEmulator, type AmocrmControl, type EmulatorControl } from '@amochan/amojo-emulator';
import type { Config } from '../config';
import type { AppDeps } from '../deps';
import type { Logger } from '../lib/logger';
import { hashPassword } from '../services/credentials/password-hash';
import type { Store } from '../storage/types';
import { SANDBOX_AMOCRM_ACCOUNT_ID, SANDBOX_AMOJO_ID, SANDBOX_SUBDOMAIN } from './types';

/**
 * Sandbox start-up, called by the sandbox plug-in (index.ts) when no channel is configured: an in-process emulator on a
 * loopback port plays amojo, and a demo account exists. Kept out of main.ts so the composition
 * root stays a short list of calls.
 */

export const SANDBOX_LOGIN = 'demo';
export const SANDBOX_PASSWORD = 'demo';
export const SANDBOX_API_TOKEN = 'sandbox';
export const SANDBOX_CHANNEL_ID = '00000000-0000-4000-8000-00000000a110';
export const SANDBOX_CHANNELS = [
  { id: 'demo-whatsapp', name: 'Demo WhatsApp' },
  { id: 'demo-bot', name: 'Demo bot' },
];

/** Where the server's amojo client points: the embedded emulator, and its control API. */
export interface AmojoTarget {
  baseUrl: string;
  channelId: string;
  secret: string;
  /** The channel's bot, the author of imported outgoing messages (AMOJO_BOT_ID). */
  botId: string;
  /** The emulator's control API: the console drives it, and its webhooks get pointed at us. */
  emulator: EmulatorControl;
  /** The emulator's amoCRM side: the integration the server is configured with, and the demo account. */
  amocrm: AmocrmControl;
}

/** Where amoCRM sends the administrator after consent: our own callback. */
export const OAUTH_CALLBACK_PATH = '/amocrm/v1/oauth/callback';

/**
 * The redirect URI both sides agree on. amoCRM compares it as a string in the token exchange, so
 * with PORT=0 (the port is only known after listen) a port-less URL on loopback stands in: the
 * console calls our callback itself, on the address the request came in on.
 */
export function sandboxRedirectUri(config: Pick<Config, 'PORT' | 'AMOCRM_REDIRECT_URI'>): string {
  if (config.AMOCRM_REDIRECT_URI) return config.AMOCRM_REDIRECT_URI;
  return `http://127.0.0.1${config.PORT ? `:${config.PORT}` : ''}${OAUTH_CALLBACK_PATH}`;
}

/** The embedded emulator starts empty: tell it again about bindings a previous sandbox run stored. */
export async function replaySandboxBindings(deps: Pick<AppDeps, 'store' | 'amojo' | 'logger'>): Promise<void> {
  for (const c of await deps.store.connections.list()) {
    if (c.status !== 'connected') continue;
    try {
      await deps.amojo.connect({ account_id: c.amojoAccountId, ...(c.title ? { title: c.title } : {}) });
    } catch (err) {
      deps.logger.warn({ err, amojoId: c.amojoAccountId }, 'sandbox: could not re-register a stored binding with the emulator');
    }
  }
}

export async function startSandbox(deps: { config: Config; logger: Logger; store: Store; lifecycle: AppDeps['lifecycle'] }): Promise<AmojoTarget> {
  const emulator = await startEmulator({
    // The integration the server's OAuth side is configured with (index.ts copies these into the
    // config); an operator's own id/secret win, so tokens they mint elsewhere still verify.
    amocrm: {
      clientId: deps.config.AMOCRM_CLIENT_ID ?? randomUUID(),
      clientSecret: deps.config.AMOCRM_CLIENT_SECRET ?? randomBytes(32).toString('base64url'),
      redirectUri: sandboxRedirectUri(deps.config),
    },
    host: '127.0.0.1',
    port: 0,
    // Fixed, so scope ids stored by an earlier sandbox run stay valid after a restart.
    channelId: SANDBOX_CHANNEL_ID,
    logRequests: true,
    logger: (line: string) => deps.logger.debug({ component: 'emulator' }, line),
  });
  deps.lifecycle.onShutdown('sandbox emulator', () => emulator.close());
  // The demo amoCRM account the widget host page plays: same id, subdomain and amojo_id, so the
  // install, the widget tokens and the connect all name one account. Two pipelines, so a source's
  // pipeline is something to look at.
  emulator.amocrm.createAccount({
    id: SANDBOX_AMOCRM_ACCOUNT_ID,
    subdomain: SANDBOX_SUBDOMAIN,
    name: 'Sandbox',
    amojoId: SANDBOX_AMOJO_ID,
    pipelines: [{ name: 'Sales' }, { name: 'Support' }],
  });
  if (!(await deps.store.accounts.get(SANDBOX_LOGIN))) {
    await deps.store.accounts.upsert({ login: SANDBOX_LOGIN, passwordHash: await hashPassword(SANDBOX_PASSWORD), createdAt: Date.now() });
    // Two channels, so the console shows what a provider with two numbers looks like: two sources,
    // a pipeline each, and a write first that picks one. Only for a fresh demo account: a list the
    // user changed (even to none) is theirs.
    await deps.store.providerChannels.replace(SANDBOX_LOGIN, SANDBOX_CHANNELS, Date.now());
  }
  deps.logger.warn(
    { sandbox: true, emulatorUrl: emulator.url, channelId: emulator.channelId, demoLogin: SANDBOX_LOGIN },
    'SANDBOX MODE: AMOJO_CHANNEL_ID is not set, so an embedded amojo emulator plays amoCRM. Nothing reaches a real amoCRM account. ' +
      `Connect with login "${SANDBOX_LOGIN}" / password "${SANDBOX_PASSWORD}"; the provider API token defaults to "${SANDBOX_API_TOKEN}".`,
  );
  return {
    baseUrl: emulator.url,
    channelId: emulator.channelId,
    secret: emulator.secret,
    botId: emulator.control.listChannels().find((c) => c.id === emulator.channelId)?.botId ?? '',
    emulator: emulator.control,
    amocrm: emulator.amocrm,
  };
}
