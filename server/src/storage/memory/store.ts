import { composedIntakeContext } from '../intake-context';
import type { Store, WebhookReceipt } from '../types';
import { createMemoryAmocrmSources, createMemoryInstallations, createMemoryProviderChannels } from './amocrm';
import { createMemoryOutbox } from './outbox';
import { createMemorySharedState } from './shared-state';
import { createMemoryAccounts, createMemoryConnections, createMemoryConversations, createMemoryMessages } from './repos';

/**
 * A Store kept in process memory with the same semantics as the SQLite one (both pass
 * test/storage/contract.ts). For fast tests and `DATABASE_URL=memory:`; everything is lost on exit.
 * Unit-of-work methods check every constraint before writing anything, which is what makes them
 * atomic without a transaction.
 */
export function createMemoryStore(): Store {
  const messages = createMemoryMessages();
  const conversations = createMemoryConversations();
  const outbox = createMemoryOutbox(messages.updateNow);
  const connections = createMemoryConnections();
  const receipts = new Map<string, WebhookReceipt>();
  let closed = false;
  const repos = {
    accounts: createMemoryAccounts(),
    connections: connections.repo,
    conversations: conversations.repo,
    messages: messages.repo,
    outbox: outbox.repo,
    installations: createMemoryInstallations(),
    providerChannels: createMemoryProviderChannels(),
    amocrmSources: createMemoryAmocrmSources(),
  };

  return {
    ...repos,
    shared: createMemorySharedState(),
    readIntakeContext: composedIntakeContext(repos),
    receipts: {
      async has(key) {
        return receipts.has(key);
      },
      async count() {
        return receipts.size;
      },
      async purgeOlderThan(olderThan) {
        let n = 0;
        for (const [key, r] of receipts) {
          if (r.receivedAt < olderThan) {
            receipts.delete(key);
            n += 1;
          }
        }
        return n;
      },
    },
    async acceptInboundMessage({ message, conversation, outbox: entries, now }) {
      if (message.msgid !== null) {
        const existing = messages.getByMsgidNow(message.login, message.msgid);
        if (existing) return { created: false, message: existing };
      }
      if (conversation) conversations.assertCanSave(conversation);
      messages.assertCanInsert(message);
      outbox.assertCanEnqueue(entries);
      if (conversation) conversations.saveNow(conversation);
      messages.insertNow(message);
      outbox.enqueueNow(entries, now);
      return { created: true, message };
    },
    async acceptWebhook({ receipt, message, conversation, outbox: entries, now }) {
      if (receipts.has(receipt.key)) return { duplicate: true };
      if (conversation) conversations.assertCanSave(conversation);
      if (message) messages.assertCanInsert(message);
      outbox.assertCanEnqueue(entries);
      receipts.set(receipt.key, structuredClone(receipt));
      if (conversation) conversations.saveNow(conversation);
      if (message) messages.insertNow(message);
      outbox.enqueueNow(entries, now);
      return { duplicate: false };
    },
    async saveConnection({ connections: bindings, outbox: entries, now }) {
      outbox.assertCanEnqueue(entries);
      for (const c of bindings) connections.saveNow(c);
      outbox.enqueueNow(entries, now);
    },
    async ping() {
      if (closed) throw new Error('the memory store is closed');
    },
    async close() {
      closed = true;
    },
  };
}
