import type { AmojoClient } from '@amochan/amojo';
import type { ConnectReply, DisconnectReply, SourceReply, StatusReply } from '../contract/widget-api';
import type { Clock } from '../lib/clock';
import { AppError, fromAmojoError as amojoFailure, isAmojoNotFound } from '../lib/errors';
import type { IdGenerator } from '../lib/ids';
import type { Logger } from '../lib/logger';
import type { WakeSignal } from '../lib/wake-signal';
import type { Connection, NewOutboxEntry, Store } from '../storage/types';
import { sourceSyncEntries } from './channels-service';
import type { CredentialVerifier } from './credentials/types';
import type { WidgetSources } from './widget-sources';
import { accountEventEntry, buildProviderEvent } from './provider-event';

/**
 * Connecting an amoCRM account (known by its amojo id) to a provider account (login), from the
 * widget. Rules:
 * - credentials first, then amojo, then the store: an amojo failure leaves nothing stored;
 * - re-connecting the same pair is idempotent (amoCRM drops the channel on every uninstall);
 * - connecting the amoCRM account with another login moves the binding (the old login is told);
 * - a login serves one amoCRM account at a time: connecting it elsewhere releases the old one;
 * - with widget tokens, the amoCRM account id of the first connect owns the binding;
 * - every change of a binding queues a source sync for the amoCRM account(s) it touches (installed
 *   ones), in the same unit of work, so sources follow connects and disconnects.
 */

export interface ConnectionServiceDeps {
  store: Pick<Store, 'connections' | 'saveConnection' | 'shared' | 'installations' | 'providerChannels'>;
  amojo: Pick<AmojoClient, 'connect' | 'disconnect'>;
  verifier: CredentialVerifier;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  outboxSignal?: WakeSignal;
  /** AMOJO_CHANNEL_TITLE: sent on connect when the widget gives no title. */
  defaultTitle?: string;
  /** Channels and pipelines in status, and the widget's pipeline picker. */
  sources?: WidgetSources;
}

/** The caller's amoCRM account from a verified widget token; null when tokens are not required. */
export type AmocrmAccountId = number | null;

export interface ConnectInput {
  login: string;
  password: string;
  amojoAccountId: string;
  title?: string;
  amocrmAccountId: AmocrmAccountId;
}

/**
 * With widget tokens, a token of the amoCRM account bound to this amojo account is proof enough:
 * login and password may be omitted (the widget disables itself without asking for a password).
 * Without tokens, or for a binding made before tokens were required, the password stays required.
 */
export interface DisconnectInput {
  login?: string;
  password?: string;
  amojoAccountId: string;
  amocrmAccountId: AmocrmAccountId;
}

export type ConnectionStatusView = StatusReply;

export interface ConnectionService {
  connect(input: ConnectInput): Promise<ConnectReply>;
  disconnect(input: DisconnectInput): Promise<DisconnectReply>;
  status(input: { amojoAccountId: string; amocrmAccountId: AmocrmAccountId }): Promise<ConnectionStatusView>;
  setSource(input: { amojoAccountId: string; pipelineId: number; channel?: string | null; amocrmAccountId: AmocrmAccountId }): Promise<SourceReply>;
}

export type DisconnectReason = 'widget' | 'replaced' | 'moved';

export function createConnectionService(deps: ConnectionServiceDeps): ConnectionService {
  // One connect/disconnect/move per amojo account at a time on every instance (the store's shared
  // lock): two interleaved ones could leave amojo and our bindings disagreeing.
  const mutex = { run: <T>(key: string, work: () => Promise<T>) => deps.store.shared.locks.withLock(`connection:${key}`, work) };
  const { store, logger } = deps;

  /** Returns the channels the verifier reported for the account, if it reported any. */
  async function checkCredentials(login: string, password: string): Promise<Array<{ id: string; name: string }> | undefined> {
    const verdict = deps.verifier.check ? await deps.verifier.check(login, password) : { valid: await deps.verifier.verify(login, password) };
    if (!verdict.valid) {
      throw new AppError('invalid_credentials', 'wrong login or password for the provider account');
    }
    return verdict.channels;
  }

  /** A token from another amoCRM account must not read, move or drop this binding. */
  function checkOwner(connection: Connection | null, amocrmAccountId: AmocrmAccountId): void {
    if (connection?.amocrmAccountId != null && amocrmAccountId !== null && connection.amocrmAccountId !== amocrmAccountId) {
      throw new AppError('forbidden', 'this amojo account is bound to another amoCRM account; use the widget of that account');
    }
  }

  /** Disconnecting without a password: only the caller's token can vouch, and only for its own binding. */
  function requireTokenOwnership(connection: Connection, amocrmAccountId: AmocrmAccountId): void {
    if (amocrmAccountId !== null && connection.amocrmAccountId === amocrmAccountId) return;
    const why = amocrmAccountId === null
      ? 'widget tokens are not configured (AMOCRM_CLIENT_SECRET)'
      : 'this binding was made before widget tokens were required, so the token does not prove ownership';
    throw new AppError('invalid_request', `body.password: is required: ${why}; enter the provider password to disconnect`);
  }

  const disconnectedEvent = (c: Connection, reason: DisconnectReason, now: number): NewOutboxEntry =>
    accountEventEntry(
      buildProviderEvent({ type: 'account.disconnected', account: c.login, now, ids: deps.ids, data: { amojo_id: c.amojoAccountId, scope_id: c.scopeId, reason } }),
      deps.ids,
    );

  async function commit(connections: Connection[], events: NewOutboxEntry[], now: number, reason: string): Promise<void> {
    const syncs = await sourceSyncEntries(store, deps.ids, connections.map((c) => c.amojoAccountId), reason);
    // One unit of work: a crash can no longer keep a binding and lose the event that announces it
    // (nor the source sync that follows it).
    events = [...events, ...syncs];
    await store.saveConnection({ connections, outbox: events, now });
    if (events.length > 0) deps.outboxSignal?.wake();
  }

  /** The login was connected to another amoCRM account: release it there, best effort at amojo. */
  async function releaseElsewhere(previous: Connection, now: number): Promise<{ released: Connection; event: NewOutboxEntry }> {
    try {
      await deps.amojo.disconnect({ account_id: previous.amojoAccountId });
    } catch (err) {
      if (!isAmojoNotFound(err)) logger.warn({ err, amojoId: previous.amojoAccountId }, 'could not disconnect the previous amoCRM account at amojo; marked disconnected here anyway');
    }
    const released: Connection = { ...previous, status: 'disconnected', disconnectedAt: now, updatedAt: now };
    return { released, event: disconnectedEvent(previous, 'moved', now) };
  }

  return {
    connect(input) {
      return mutex.run(input.amojoAccountId, async () => {
        const channels = await checkCredentials(input.login, input.password);
        const existing = await store.connections.getByAmojoAccount(input.amojoAccountId);
        checkOwner(existing, input.amocrmAccountId);
        // Before the binding commits, so the source sync it queues already sees them.
        if (channels) await store.providerChannels.replace(input.login, channels, deps.clock.now());
        const title = input.title ?? deps.defaultTitle;
        let answer;
        try {
          answer = await deps.amojo.connect({ account_id: input.amojoAccountId, ...(title ? { title } : {}) });
        } catch (err) {
          throw amojoFailure('connect', err);
        }
        const now = deps.clock.now();
        const sameBinding = existing?.status === 'connected' && existing.login === input.login && existing.scopeId === answer.scope_id;
        const connection: Connection = {
          amojoAccountId: input.amojoAccountId,
          login: input.login,
          scopeId: answer.scope_id,
          title: answer.title || title || null,
          status: 'connected',
          amocrmAccountId: existing?.amocrmAccountId ?? input.amocrmAccountId,
          pipelineId: existing?.pipelineId ?? null,
          connectedAt: sameBinding ? existing.connectedAt : now,
          disconnectedAt: null,
          updatedAt: now,
        };
        if (sameBinding) {
          // Re-connect (often after a reinstall): the sync recreates sources amoCRM may have dropped.
          await commit([connection], [], now, 'reconnect');
          logger.info({ login: input.login, amojoId: input.amojoAccountId, scopeId: answer.scope_id }, 're-connected (unchanged binding)');
          return { status: 'connected', scope_id: connection.scopeId, login: connection.login, connected_at: connection.connectedAt };
        }
        const saves: Connection[] = [];
        const events: NewOutboxEntry[] = [];
        if (existing?.status === 'connected' && existing.login !== input.login) {
          saves.push({ ...existing, status: 'disconnected', disconnectedAt: now, updatedAt: now });
          events.push(disconnectedEvent(existing, 'replaced', now));
        }
        const elsewhere = await store.connections.getConnectedByLogin(input.login);
        if (elsewhere && elsewhere.amojoAccountId !== input.amojoAccountId) {
          const { released, event } = await releaseElsewhere(elsewhere, now);
          saves.push(released);
          events.push(event);
        }
        saves.push(connection);
        events.push(
          accountEventEntry(
            buildProviderEvent({
              type: 'account.connected',
              account: input.login,
              now,
              ids: deps.ids,
              data: { amojo_id: input.amojoAccountId, scope_id: connection.scopeId, title: connection.title, connected_at: now },
            }),
            deps.ids,
          ),
        );
        await commit(saves, events, now, 'connect');
        logger.info(
          { login: input.login, amojoId: input.amojoAccountId, scopeId: connection.scopeId, movedFrom: existing?.status === 'connected' && existing.login !== input.login ? existing.login : undefined },
          'connected',
        );
        return { status: 'connected', scope_id: connection.scopeId, login: connection.login, connected_at: connection.connectedAt };
      });
    },

    disconnect(input) {
      return mutex.run(input.amojoAccountId, async () => {
        if (input.password !== undefined) {
          if (input.login === undefined) throw new AppError('invalid_request', 'body.login: is required with a password');
          await checkCredentials(input.login, input.password);
        }
        const existing = await store.connections.getByAmojoAccount(input.amojoAccountId);
        if (!existing) throw new AppError('not_found', 'this amoCRM account has never been connected');
        checkOwner(existing, input.amocrmAccountId);
        if (input.password === undefined) requireTokenOwnership(existing, input.amocrmAccountId);
        if (input.login !== undefined && existing.login !== input.login) {
          throw new AppError('forbidden', 'this amoCRM account is connected with another provider login; disconnect with that login');
        }
        if (existing.status === 'disconnected') return { status: 'disconnected' };
        try {
          await deps.amojo.disconnect({ account_id: input.amojoAccountId });
        } catch (err) {
          // amojo already forgot the account (an uninstall disconnects it): the goal is reached.
          if (!isAmojoNotFound(err)) throw amojoFailure('disconnect', err);
          logger.info({ amojoId: input.amojoAccountId }, 'amojo did not know the account any more; marking it disconnected');
        }
        const now = deps.clock.now();
        await commit([{ ...existing, status: 'disconnected', disconnectedAt: now, updatedAt: now }], [disconnectedEvent(existing, 'widget', now)], now, 'disconnect');
        logger.info({ login: existing.login, amojoId: input.amojoAccountId, scopeId: existing.scopeId }, 'disconnected');
        return { status: 'disconnected' };
      });
    },

    async status(input) {
      const connection = await store.connections.getByAmojoAccount(input.amojoAccountId);
      checkOwner(connection, input.amocrmAccountId);
      if (!connection || connection.status !== 'connected') return { status: 'disconnected' };
      return {
        status: 'connected',
        login: connection.login,
        scope_id: connection.scopeId,
        connected_at: connection.connectedAt,
        pipeline_id: connection.pipelineId,
        ...(deps.sources ? await deps.sources.view(connection) : {}),
      };
    },

    setSource(input) {
      return mutex.run(input.amojoAccountId, async () => {
        const connection = await store.connections.getByAmojoAccount(input.amojoAccountId);
        if (!connection) throw new AppError('not_found', 'this amoCRM account is not connected; connect it in the widget settings first');
        checkOwner(connection, input.amocrmAccountId);
        const now = deps.clock.now();
        // Without a channel it is the account's choice: also where sources of new channels go.
        const next = input.channel === undefined ? { ...connection, pipelineId: input.pipelineId, updatedAt: now } : connection;
        if (input.channel === undefined) await store.connections.save(next);
        const view = deps.sources && next.status === 'connected' ? await deps.sources.move(next, input.pipelineId, input.channel) : {};
        return { status: 'ok', pipeline_id: input.pipelineId, ...view };
      });
    },
  };
}
