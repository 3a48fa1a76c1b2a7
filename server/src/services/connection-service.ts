import type { AmojoClient } from '@amochan/amojo';
import type { ConnectReply, DisconnectReply, SourceReply, StatusReply } from '../contract/widget-api';
import type { Clock } from '../lib/clock';
import { AppError, fromAmojoError as amojoFailure, isAmojoNotFound } from '../lib/errors';
import type { IdGenerator } from '../lib/ids';
import type { Logger } from '../lib/logger';
import type { WakeSignal } from '../lib/wake-signal';
import type { Connection, NewOutboxEntry, Store } from '../storage/types';
import { createBindingChanges, type DisconnectReason } from './binding-changes';
import {
  canSee,
  installationState,
  notConnected,
  ownership,
  requireConnectOwner,
  requireTokenOwnership,
  requireVerified,
  targetAmojoId,
  type BindingOwnership,
  type Caller,
} from './binding-ownership';
import type { CredentialVerifier } from './credentials/types';
import type { WidgetSources } from './widget-sources';

export type { DisconnectReason } from './binding-changes';

/**
 * Connecting an amoCRM account (known by its amojo id) to a provider account (login), from the
 * widget. Rules:
 * - credentials first, then amojo, then the store: an amojo failure leaves nothing stored;
 * - re-connecting the same pair is idempotent (amoCRM drops the channel on every uninstall);
 * - connecting the amoCRM account with another login moves the binding (the old login is told);
 * - a login serves one amoCRM account at a time: connecting it elsewhere releases the old one;
 * - who owns which binding is binding-ownership.ts's rule: with OAuth, the account amoCRM vouches
 *   for; without, the amoCRM account of the first token-bearing connect.
 * - every change of a binding commits with its account events and source syncs (binding-changes.ts).
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
  /** Absent: no OAuth, every token account is identified by its token alone. */
  ownership?: BindingOwnership;
  /** Channels and pipelines in status, and the widget's pipeline picker. */
  sources?: WidgetSources;
}

/** The caller's amoCRM account from a verified widget token; null when tokens are not required. */
export type AmocrmAccountId = number | null;

export interface ConnectInput {
  login: string;
  password: string;
  /** Optional once amoCRM vouched for the account's amojo_id (OAuth install). */
  amojoAccountId?: string;
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
  amojoAccountId?: string;
  amocrmAccountId: AmocrmAccountId;
}

export type ConnectionStatusView = StatusReply;

export interface ConnectionService {
  connect(input: ConnectInput): Promise<ConnectReply>;
  disconnect(input: DisconnectInput): Promise<DisconnectReply>;
  status(input: { amojoAccountId?: string; amocrmAccountId: AmocrmAccountId }): Promise<ConnectionStatusView>;
  setSource(input: { amojoAccountId?: string; pipelineId: number; channel?: string | null; amocrmAccountId: AmocrmAccountId }): Promise<SourceReply>;
  /**
   * Ends a binding on amoCRM's word (the uninstall hook): amojo is told best effort (amoCRM already
   * drops the channel on uninstall), the binding is marked disconnected and the provider told why.
   * false when there was no connected binding (idempotent).
   */
  release(amojoAccountId: string, reason: DisconnectReason): Promise<boolean>;
}

export function createConnectionService(deps: ConnectionServiceDeps): ConnectionService {
  // One connect/disconnect/move per amojo account at a time on every instance (the store's shared
  // lock): two interleaved ones could leave amojo and our bindings disagreeing.
  const mutex = { run: <T>(key: string, work: () => Promise<T>) => deps.store.shared.locks.withLock(`connection:${key}`, work) };
  const { store, logger } = deps;
  const changes = createBindingChanges({ store, ids: deps.ids, outboxSignal: deps.outboxSignal });
  const oauth = deps.ownership?.oauth ?? false;
  const identify = (amocrmAccountId: AmocrmAccountId): Promise<Caller> =>
    deps.ownership
      ? deps.ownership.identify(amocrmAccountId)
      : Promise.resolve(amocrmAccountId === null ? { kind: 'anonymous' } : { kind: 'token', amocrmAccountId });

  /** Returns the channels the verifier reported for the account, if it reported any. */
  async function checkCredentials(login: string, password: string): Promise<Array<{ id: string; name: string }> | undefined> {
    const verdict = deps.verifier.check ? await deps.verifier.check(login, password) : { valid: await deps.verifier.verify(login, password) };
    if (!verdict.valid) {
      throw new AppError('invalid_credentials', 'wrong login or password for the provider account');
    }
    return verdict.channels;
  }

  /** The login was connected to another amoCRM account: release it there, best effort at amojo. */
  async function releaseElsewhere(previous: Connection, now: number): Promise<{ released: Connection; event: NewOutboxEntry }> {
    try {
      await deps.amojo.disconnect({ account_id: previous.amojoAccountId });
    } catch (err) {
      if (!isAmojoNotFound(err))
        logger.warn({ err, amojoId: previous.amojoAccountId }, 'could not disconnect the previous amoCRM account at amojo; marked disconnected here anyway');
    }
    const released: Connection = { ...previous, status: 'disconnected', disconnectedAt: now, updatedAt: now };
    return { released, event: changes.disconnectedEvent(previous, 'moved', now) };
  }

  return {
    async connect(input) {
      // amoCRM's word first: a mismatched or uninstalled account is refused before anything is read.
      const caller = await identify(input.amocrmAccountId);
      if (oauth) requireVerified(caller);
      const amojoAccountId = targetAmojoId(caller, input.amojoAccountId);
      return mutex.run(amojoAccountId, async () => {
        const channels = await checkCredentials(input.login, input.password);
        const existing = await store.connections.getByAmojoAccount(amojoAccountId);
        requireConnectOwner(existing, caller);
        // Before the binding commits, so the source sync it queues already sees them.
        if (channels) await store.providerChannels.replace(input.login, channels, deps.clock.now());
        const title = input.title ?? deps.defaultTitle;
        let answer;
        try {
          answer = await deps.amojo.connect({ account_id: amojoAccountId, ...(title ? { title } : {}) });
        } catch (err) {
          throw amojoFailure('connect', err);
        }
        const now = deps.clock.now();
        const sameBinding = existing?.status === 'connected' && existing.login === input.login && existing.scopeId === answer.scope_id;
        // Verified: the account amoCRM vouches for becomes the owner, replacing whoever squatted.
        const owner = caller.kind === 'verified' ? caller.amocrmAccountId : (existing?.amocrmAccountId ?? input.amocrmAccountId);
        if (existing && existing.amocrmAccountId !== null && existing.amocrmAccountId !== owner) {
          logger.warn(
            { amojoId: amojoAccountId, from: existing.amocrmAccountId, to: owner, login: existing.login },
            'binding moved to the amoCRM account amoCRM vouches for',
          );
        }
        const connection: Connection = {
          amojoAccountId,
          login: input.login,
          scopeId: answer.scope_id,
          title: answer.title || title || null,
          status: 'connected',
          amocrmAccountId: owner,
          // A pipeline another account picked while it held the binding is not the owner's choice.
          pipelineId: existing && (existing.amocrmAccountId === null || existing.amocrmAccountId === owner) ? existing.pipelineId : null,
          connectedAt: sameBinding ? existing.connectedAt : now,
          disconnectedAt: null,
          updatedAt: now,
        };
        if (sameBinding) {
          // Re-connect (often after a reinstall): the sync recreates sources amoCRM may have dropped.
          await changes.commit([connection], [], now, 'reconnect');
          logger.info({ login: input.login, amojoId: amojoAccountId, scopeId: answer.scope_id }, 're-connected (unchanged binding)');
          return { status: 'connected', scope_id: connection.scopeId, login: connection.login, connected_at: connection.connectedAt };
        }
        const saves: Connection[] = [];
        const events: NewOutboxEntry[] = [];
        if (existing?.status === 'connected' && existing.login !== input.login) {
          saves.push({ ...existing, status: 'disconnected', disconnectedAt: now, updatedAt: now });
          events.push(changes.disconnectedEvent(existing, 'replaced', now));
        }
        const elsewhere = await store.connections.getConnectedByLogin(input.login);
        if (elsewhere && elsewhere.amojoAccountId !== amojoAccountId) {
          const { released, event } = await releaseElsewhere(elsewhere, now);
          saves.push(released);
          events.push(event);
        }
        saves.push(connection);
        events.push(changes.connectedEvent(connection, now));
        await changes.commit(saves, events, now, 'connect');
        logger.info(
          {
            login: input.login,
            amojoId: amojoAccountId,
            scopeId: connection.scopeId,
            movedFrom: existing?.status === 'connected' && existing.login !== input.login ? existing.login : undefined,
          },
          'connected',
        );
        return { status: 'connected', scope_id: connection.scopeId, login: connection.login, connected_at: connection.connectedAt };
      });
    },

    async disconnect(input) {
      const caller = await identify(input.amocrmAccountId);
      const amojoAccountId = targetAmojoId(caller, input.amojoAccountId);
      return mutex.run(amojoAccountId, async () => {
        if (input.password !== undefined) {
          if (input.login === undefined) throw new AppError('invalid_request', 'body.login: is required with a password');
          await checkCredentials(input.login, input.password);
        }
        const existing = await store.connections.getByAmojoAccount(amojoAccountId);
        // Another account's binding answers like a missing one: no oracle for foreign amojo ids.
        if (!existing || ownership(caller, existing) === 'no') throw new AppError('not_found', 'this amoCRM account has never been connected');
        if (input.password === undefined) requireTokenOwnership(existing, caller);
        if (input.login !== undefined && existing.login !== input.login) {
          throw new AppError('forbidden', 'this amoCRM account is connected with another provider login; disconnect with that login');
        }
        if (existing.status === 'disconnected') return { status: 'disconnected' };
        try {
          await deps.amojo.disconnect({ account_id: amojoAccountId });
        } catch (err) {
          // amojo already forgot the account (an uninstall disconnects it): the goal is reached.
          if (!isAmojoNotFound(err)) throw amojoFailure('disconnect', err);
          logger.info({ amojoId: amojoAccountId }, 'amojo did not know the account any more; marking it disconnected');
        }
        const now = deps.clock.now();
        await changes.commit(
          [{ ...existing, status: 'disconnected', disconnectedAt: now, updatedAt: now }],
          [changes.disconnectedEvent(existing, 'widget', now)],
          now,
          'disconnect',
        );
        logger.info({ login: existing.login, amojoId: amojoAccountId, scopeId: existing.scopeId }, 'disconnected');
        return { status: 'disconnected' };
      });
    },

    async status(input) {
      const caller = await identify(input.amocrmAccountId);
      const installation = installationState(caller);
      // OAuth, nothing vouched for, no amojo_id named: there is nothing this caller could see.
      if (oauth && caller.kind !== 'verified' && input.amojoAccountId === undefined) return { status: 'disconnected', installation };
      const amojoAccountId = targetAmojoId(caller, input.amojoAccountId);
      const connection = await store.connections.getByAmojoAccount(amojoAccountId);
      if (!connection || connection.status !== 'connected' || !canSee(caller, connection, oauth)) return { status: 'disconnected', installation };
      return {
        status: 'connected',
        login: connection.login,
        scope_id: connection.scopeId,
        connected_at: connection.connectedAt,
        pipeline_id: connection.pipelineId,
        installation,
        ...(deps.sources ? await deps.sources.view(connection) : {}),
      };
    },

    async setSource(input) {
      const caller = await identify(input.amocrmAccountId);
      const amojoAccountId = targetAmojoId(caller, input.amojoAccountId);
      return mutex.run(amojoAccountId, async () => {
        const connection = await store.connections.getByAmojoAccount(amojoAccountId);
        if (!connection || !canSee(caller, connection, oauth)) throw notConnected();
        const now = deps.clock.now();
        // Without a channel it is the account's choice: also where sources of new channels go.
        const next = input.channel === undefined ? { ...connection, pipelineId: input.pipelineId, updatedAt: now } : connection;
        if (input.channel === undefined) await store.connections.save(next);
        const view = deps.sources && next.status === 'connected' ? await deps.sources.move(next, input.pipelineId, input.channel) : {};
        return { status: 'ok', pipeline_id: input.pipelineId, ...view };
      });
    },

    release(amojoAccountId, reason) {
      return mutex.run(amojoAccountId, async () => {
        const existing = await store.connections.getByAmojoAccount(amojoAccountId);
        if (!existing || existing.status !== 'connected') return false;
        try {
          await deps.amojo.disconnect({ account_id: amojoAccountId });
        } catch (err) {
          if (!isAmojoNotFound(err))
            logger.warn({ err, amojoId: amojoAccountId }, 'could not disconnect the account at amojo; marked disconnected here anyway');
        }
        const now = deps.clock.now();
        await changes.commit(
          [{ ...existing, status: 'disconnected', disconnectedAt: now, updatedAt: now }],
          [changes.disconnectedEvent(existing, reason, now)],
          now,
          'disconnect',
        );
        logger.info({ login: existing.login, amojoId: amojoAccountId, reason }, 'binding released');
        return true;
      });
    },
  };
}
