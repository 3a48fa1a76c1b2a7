import type { Metrics } from '../lib/metrics';
import type { RuntimeDeps } from '../outbox/runtime-deps';
import { sourcesSyncEntry } from '../storage/amocrm-entries';
import type { AmocrmServices } from './amocrm-services';
import { createAmojoHooks } from './amojo-hooks';
import { createBindingOwnership } from './binding-ownership';
import { createChannelsService, type ChannelsService } from './channels-service';
import { createConnectionService, type ConnectionService } from './connection-service';
import type { CredentialVerifier } from './credentials/types';
import type { FailedMessageEvents } from '../outbox/types';
import { createCustomerActions, type CustomerActions } from './customer-actions';
import { createFailedMessageEvents } from './failed-messages';
import { createInboundMessages } from './inbound-messages';
import { createInstallationService, type InstallationService } from './installation-service';
import { createMessageStatus, type MessageStatusService } from './message-status';
import { createRecoveryGate, type RecoveryGate } from './recovery-gate';
import { createWidgetSources, type WidgetSources } from './widget-sources';

/**
 * The services, built once per process by build-deps.ts (or once per test app) and handed to the routes,
 * the worker, the reconciler and the CLI. One instance each matters: the inbound service holds the
 * backpressure cache, and the hooks service reports to the app's metrics.
 */
export interface Services {
  inbound: ReturnType<typeof createInboundMessages>;
  statuses: MessageStatusService;
  /** The customer's edits and reactions. */
  actions: CustomerActions;
  /** The outbox asks for a message.failed event through this (it never builds events itself). */
  failedMessages: FailedMessageEvents;
  hooks: ReturnType<typeof createAmojoHooks>;
  connections: ConnectionService;
  /** Shared by the hooks and the reconciler: a chat's recovered messages go before its later live ones. */
  recovery: RecoveryGate;
  /** Install, reauthorization and uninstall as amoCRM reports them. */
  installations: InstallationService;
  channels: ChannelsService;
  sources: WidgetSources;
}

export interface ServiceDeps extends RuntimeDeps {
  config: {
    /** OAuth install configured (config.ts): bindings must be ones amoCRM vouches for. */
    oauth: boolean;
    AMOCRM_CLIENT_ID?: string | undefined;
    AMOCRM_CLIENT_SECRET?: string | undefined;
    /** Refuse new provider messages (503) while this many outbox entries wait. */
    OUTBOX_MAX_PENDING: number;
    /** The secret amojo signs hooks with. */
    AMOJO_CHANNEL_SECRET?: string | undefined;
    /** Sent on connect when the widget gives no title. */
    AMOJO_CHANNEL_TITLE?: string | undefined;
    /** The channel's bot: author of messages imported with direction "out". */
    AMOJO_BOT_ID?: string | undefined;
  };
  verifier: CredentialVerifier;
  metrics?: Metrics | undefined;
  /** amoCRM REST (services/amocrm-services.ts); absent without the OAuth integration configured. */
  amocrm?: AmocrmServices | undefined;
}

export function buildServices(deps: ServiceDeps): Services {
  const { config, store, clock, ids, logger, outboxSignal, metrics } = deps;
  const sources = createWidgetSources({
    store,
    rest: deps.amocrm?.rest,
    clock,
    logger,
    async requestSync(amocrmAccountId) {
      await store.outbox.enqueue([sourcesSyncEntry(ids, amocrmAccountId, 'missing_in_amocrm')], clock.now());
      outboxSignal.wake();
    },
  });
  // On the reconciler's clock: the start window compares a pass's coverage with the first live hook.
  const recovery = createRecoveryGate({ clock });
  const connections = createConnectionService({
    store,
    amojo: deps.amojo,
    verifier: deps.verifier,
    clock,
    ids,
    logger,
    outboxSignal,
    defaultTitle: config.AMOJO_CHANNEL_TITLE,
    sources,
    ownership: createBindingOwnership({ oauth: config.oauth, installations: store.installations }),
  });
  const installations = createInstallationService({
    store,
    amocrm: () => deps.amocrm,
    connections,
    clientId: config.AMOCRM_CLIENT_ID,
    clientSecret: config.AMOCRM_CLIENT_SECRET,
    clock,
    ids,
    logger,
    outboxSignal,
  });
  return {
    recovery,
    channels: createChannelsService({ store, clock, ids, logger, outboxSignal }),
    sources,
    inbound: createInboundMessages({ store, clock, ids, outboxSignal, maxPending: config.OUTBOX_MAX_PENDING, botId: config.AMOJO_BOT_ID }),
    statuses: createMessageStatus({ store, clock, ids, outboxSignal }),
    actions: createCustomerActions({ store, clock, ids, outboxSignal }),
    failedMessages: createFailedMessageEvents(ids, store),
    hooks: createAmojoHooks({
      store,
      clock,
      ids,
      logger,
      outboxSignal,
      channelSecret: config.AMOJO_CHANNEL_SECRET,
      recoveryGate: recovery,
      ...(metrics ? { onReceipt: (kind, result) => metrics.webhookReceipts.inc({ kind, result }) } : {}),
    }),
    connections,
    installations,
  };
}
