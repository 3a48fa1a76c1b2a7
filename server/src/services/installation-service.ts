import { verifyDisableSignature } from '../amocrm/disable-signature';
import { installIntegration, type InstallInput } from '../amocrm/install';
import type { Clock } from '../lib/clock';
import { AppError } from '../lib/errors';
import type { IdGenerator } from '../lib/ids';
import type { Logger } from '../lib/logger';
import type { WakeSignal } from '../lib/wake-signal';
import type { Installation, Store } from '../storage/types';
import type { AmocrmServices } from './amocrm-services';
import type { ConnectionService } from './connection-service';
import { accountEventEntry, buildProviderEvent } from './provider-event';

/**
 * The integration's life in an amoCRM account as amoCRM reports it: install (OAuth callback),
 * reauthorization (a refused refresh token) and uninstall (the signed disable hook).
 */
export interface InstallResultView {
  status: 'installed';
  amocrm_account_id: number;
  amojo_id: string;
  domain: string;
  reinstalled: boolean;
}

export interface UninstallInput {
  accountId: string;
  clientUuid: string;
  signature: string;
}

export interface InstallationService {
  /** false when OAuth install is not configured on this server (the callback answers 404). */
  readonly oauth: boolean;
  /** false without AMOCRM_CLIENT_SECRET (nothing to check a disable hook with). */
  readonly uninstallEnabled: boolean;
  /** clientId: what amoCRM sent along (absent on some flows); another integration's code is refused unsent. */
  install(input: InstallInput & { clientId?: string }): Promise<InstallResultView>;
  uninstall(input: UninstallInput): Promise<{ status: 'uninstalled'; disconnected: number }>;
  /** The token manager's onReauthorizationRequired: tells the provider through the outbox. */
  reauthorizationRequired(installation: Installation): Promise<void>;
}

export interface InstallationServiceDeps {
  store: Pick<Store, 'installations' | 'connections' | 'amocrmSources' | 'outbox'>;
  /** Resolved lazily: the amoCRM side's token manager calls back into this service. */
  amocrm: () => AmocrmServices | undefined;
  connections: ConnectionService;
  clientId: string | undefined;
  clientSecret: string | undefined;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  outboxSignal?: WakeSignal;
}

export function createInstallationService(deps: InstallationServiceDeps): InstallationService {
  const { store, logger } = deps;

  /**
   * The amojo ids an uninstalled account held: the one amoCRM vouched for, or — for an account that
   * never installed with OAuth — the bindings its tokens claimed, unless another account's install
   * vouches for that amojo_id (an uninstall must never end the real owner's binding).
   */
  async function amojoIdsOf(accountId: number, installation: Installation | null): Promise<string[]> {
    if (installation) return [installation.amojoId];
    const claimed = (await store.connections.list()).filter((c) => c.amocrmAccountId === accountId && c.status === 'connected');
    const ids: string[] = [];
    for (const c of claimed) {
      const vouched = await store.installations.getByAmojoId(c.amojoAccountId);
      if (!vouched || vouched.amocrmAccountId === accountId || vouched.status === 'uninstalled') ids.push(c.amojoAccountId);
    }
    return ids;
  }

  return {
    get oauth() {
      return deps.amocrm() !== undefined;
    },
    uninstallEnabled: Boolean(deps.clientSecret),

    async install(input) {
      const side = deps.amocrm();
      if (!side)
        throw new AppError('not_found', 'OAuth install is not configured on this server (AMOCRM_CLIENT_ID, AMOCRM_CLIENT_SECRET, AMOCRM_REDIRECT_URI)');
      if (input.clientId !== undefined && deps.clientId && input.clientId !== deps.clientId) {
        throw new AppError(
          'invalid_grant',
          'this authorization code was issued for another integration (client_id differs from AMOCRM_CLIENT_ID); check the redirect URI registered in amoCRM',
        );
      }
      const { installation, reinstalled } = await installIntegration(
        {
          oauth: side.oauth,
          http: side.http,
          installations: store.installations,
          cipher: side.cipher,
          baseUrlFor: side.baseUrlFor,
          clock: deps.clock,
          ...(side.withAccountLock ? { withAccountLock: side.withAccountLock } : {}),
        },
        input,
      );
      logger.info(
        {
          amocrmAccountId: installation.amocrmAccountId,
          amojoId: installation.amojoId,
          domain: installation.domain,
          reinstalled,
          fromWidget: input.fromWidget ?? false,
        },
        'amoCRM integration installed',
      );
      return { status: 'installed', amocrm_account_id: installation.amocrmAccountId, amojo_id: installation.amojoId, domain: installation.domain, reinstalled };
    },

    async uninstall(input) {
      const secret = deps.clientSecret;
      if (!secret) throw new AppError('not_found', 'the disable hook needs AMOCRM_CLIENT_SECRET on this server');
      const accountId = Number(input.accountId);
      const valid =
        /^[1-9][0-9]{0,15}$/.test(input.accountId) &&
        Number.isSafeInteger(accountId) &&
        (!deps.clientId || input.clientUuid === deps.clientId) &&
        verifyDisableSignature({ clientSecret: secret, clientUuid: input.clientUuid, accountId: input.accountId, signature: input.signature });
      if (!valid) {
        logger.warn({ accountId: input.accountId }, 'disable hook refused: the signature does not verify');
        throw new AppError(
          'invalid_signature',
          'the disable hook signature does not verify (hex HMAC-SHA256 with the client secret over "<client_uuid>|<account_id>")',
        );
      }
      const installation = await store.installations.get(accountId);
      // Tokens go first (the row stays, uninstalled, so a reinstall is recognised): nothing queued by
      // the release below then tries to sync sources with tokens amoCRM has just revoked.
      if (installation && installation.status !== 'uninstalled') await store.installations.setStatus(accountId, 'uninstalled', deps.clock.now());
      let disconnected = 0;
      for (const amojoId of await amojoIdsOf(accountId, installation)) {
        if (await deps.connections.release(amojoId, 'uninstalled')) disconnected += 1;
      }
      const sources = await store.amocrmSources.removeByAccount(accountId);
      logger.info({ amocrmAccountId: accountId, disconnected, sources }, 'amoCRM integration uninstalled');
      return { status: 'uninstalled', disconnected };
    },

    async reauthorizationRequired(installation) {
      const binding = await store.connections.getByAmojoAccount(installation.amojoId);
      if (!binding || binding.status !== 'connected') {
        logger.info({ amocrmAccountId: installation.amocrmAccountId }, 'reauthorization required; no connected provider account to tell');
        return;
      }
      const now = deps.clock.now();
      const event = buildProviderEvent({
        type: 'account.reauthorization_required',
        account: binding.login,
        channel: null,
        now,
        ids: deps.ids,
        data: { amojo_id: installation.amojoId, scope_id: binding.scopeId, amocrm_account_id: installation.amocrmAccountId, domain: installation.domain },
      });
      await store.outbox.enqueue([accountEventEntry(event, deps.ids)], now);
      deps.outboxSignal?.wake();
    },
  };
}
