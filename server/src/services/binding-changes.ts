import type { IdGenerator } from '../lib/ids';
import type { WakeSignal } from '../lib/wake-signal';
import type { Connection, NewOutboxEntry, Store } from '../storage/types';
import { sourceSyncEntries } from './channels-service';
import { accountEventEntry, buildProviderEvent } from './provider-event';

/**
 * How a change of bindings is recorded: the bindings, the account events that announce them to the
 * provider and the source syncs that make amoCRM follow, all in one unit of work — so a crash can
 * neither keep a binding and lose its event, nor lose the sync that follows it.
 */

export type DisconnectReason = 'widget' | 'replaced' | 'moved' | 'uninstalled';

export interface BindingChangesDeps {
  store: Pick<Store, 'saveConnection' | 'installations'>;
  ids: IdGenerator;
  outboxSignal?: WakeSignal | undefined;
}

export function createBindingChanges(deps: BindingChangesDeps) {
  const { store, ids } = deps;
  return {
    connectedEvent(c: Connection, now: number): NewOutboxEntry {
      return accountEventEntry(
        buildProviderEvent({
          type: 'account.connected',
          account: c.login,
          now,
          ids,
          data: { amojo_id: c.amojoAccountId, scope_id: c.scopeId, title: c.title, connected_at: now },
        }),
        ids,
      );
    },

    disconnectedEvent(c: Connection, reason: DisconnectReason, now: number): NewOutboxEntry {
      return accountEventEntry(
        buildProviderEvent({ type: 'account.disconnected', account: c.login, now, ids, data: { amojo_id: c.amojoAccountId, scope_id: c.scopeId, reason } }),
        ids,
      );
    },

    /** `reason` is the source sync's (for its log and metrics). */
    async commit(connections: Connection[], events: NewOutboxEntry[], now: number, reason: string): Promise<void> {
      const syncs = await sourceSyncEntries(
        store,
        ids,
        connections.map((c) => c.amojoAccountId),
        reason,
      );
      const outbox = [...events, ...syncs];
      await store.saveConnection({ connections, outbox, now });
      if (outbox.length > 0) deps.outboxSignal?.wake();
    },
  };
}

export type BindingChanges = ReturnType<typeof createBindingChanges>;
