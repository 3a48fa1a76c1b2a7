import type { IntakeContext, IntakeContextQuery, Store } from './types';

/**
 * The intake context (types.ts, IntakeContext) composed from the repositories, for the stores whose
 * reads are in-process (memory, SQLite); PostgreSQL reads it in one statement
 * (postgres/intake-context.ts).
 */

export type IntakeContextReader = (query: IntakeContextQuery) => Promise<IntakeContext>;

/** The composed read for stores whose reads are in-process (memory, SQLite): each part from its repository. */
export function composedIntakeContext(
  store: Pick<Store, 'connections' | 'providerChannels' | 'conversations' | 'installations' | 'amocrmSources' | 'messages'>,
): IntakeContextReader {
  return async (q) => {
    const connection = await store.connections.getConnectedByLogin(q.login);
    if (!connection) return emptyIntakeContext();
    const installation = await store.installations.getByAmojoId(connection.amojoAccountId);
    const sources = installation ? (await store.amocrmSources.listByLogin(q.login)).filter((s) => s.amocrmAccountId === installation.amocrmAccountId) : [];
    return {
      connection,
      channels: await store.providerChannels.list(q.login),
      conversation: await store.conversations.getByConversationId(q.login, q.conversationId),
      conversationByRef: q.conversationRefId ? await store.conversations.getByAmojoChatId(connection.scopeId, q.conversationRefId) : null,
      pendingByPhone: q.phone ? await store.conversations.findPendingByPhone(q.login, q.phone) : null,
      installation,
      sources,
      quoted: q.replyToMsgid
        ? await store.messages.getByMsgid(q.login, q.replyToMsgid)
        : q.replyToAmojoMsgId
          ? await store.messages.getByAmojoMsgId(q.replyToAmojoMsgId)
          : null,
      customerRefIsSender: q.customerRefId ? await store.messages.hasSenderRef(connection.scopeId, q.customerRefId) : false,
    };
  };
}

export const emptyIntakeContext = (): IntakeContext => ({
  connection: null,
  channels: [],
  conversation: null,
  conversationByRef: null,
  pendingByPhone: null,
  installation: null,
  sources: [],
  quoted: null,
  customerRefIsSender: false,
});
