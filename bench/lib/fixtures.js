'use strict';
/**
 * Request bodies. Small, realistic shapes: what a chat provider posts for a customer text, and what
 * amojo posts when a manager answers. Ids carry a run prefix so every run is distinct.
 */
const { signWebhookBody } = require('@amochan/amojo');
const { buildMessageHook } = require('@amochan/amojo/testing');

/**
 * Provider POST /api/v1/messages body number i. Message i belongs to conversation i % conversations
 * (so consecutive messages hit different conversations, as real traffic does), and each
 * conversation to one account.
 */
function providerMessage(i, { prefix, conversations, accountOf }) {
  const c = i % conversations;
  return JSON.stringify({
    account: accountOf(c),
    conversation_id: `${prefix}-conv-${c}`,
    msgid: `${prefix}-${i}`,
    sender: { id: `${prefix}-cust-${c}`, name: `Customer ${c}` },
    // The text names the provider msgid: amojo sees a msgid derived from (account, msgid), so the
    // bench recognises arrivals by this text, which every relay passes through unchanged.
    message: { type: 'text', text: `Hello, this is message ${prefix}-${i} about order #${100000 + c}. Is it still available?` },
  });
}

/**
 * A signed v2 message hook (a manager's answer) with a distinct amojo message id, aimed at one of
 * the `chats` (each {accountAmojoId, scopeId, chatId, conversationId, clientAmojoId, clientId}).
 * Returns {path, body, signature}; bodies are precomputed so signing is not part of the measure.
 */
function signedHook(i, { prefix, chats, secret }) {
  const chat = chats[i % chats.length];
  // The documented hook shape (no names, "" for an unknown email), built by the SDK's testing entry.
  const hook = buildMessageHook({
    accountId: chat.accountAmojoId,
    chatId: chat.chatId,
    conversationId: chat.conversationId,
    receiver: { id: chat.clientAmojoId, clientId: chat.clientId, phone: '79161234567' },
    senderId: chat.managerAmojoId,
    messageId: `${prefix}-hook-${i}`,
    msecTimestamp: Date.now(),
    message: { text: `Thanks for writing! Answer number ${i}: yes, it is available.` },
  });
  const body = JSON.stringify(hook);
  return { path: `/amojo/v1/webhook/${chat.scopeId}`, body, signature: signWebhookBody(body, secret) };
}

module.exports = { providerMessage, signedHook };
