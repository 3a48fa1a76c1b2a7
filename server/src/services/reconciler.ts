import type { AmojoClient, HistoryMessage, MessageHook } from '@amochan/amojo';
import type { Clock } from '../lib/clock';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import { createPeriodicTask } from '../lib/periodic-task';
import type { Connection, Conversation, Store } from '../storage/types';
import { isAmojoNotFound } from '../lib/errors';
import { createLogThrottle } from '../lib/log-throttle';
import { historyMessageAt, historyToHook, isManagerMessage } from './history-hook';
import type { RecoveryGate } from './recovery-gate';

/**
 * Recovers manager messages whose hook never reached us. amojo sends each hook once and never
 * retries, so a hook that hits a stopped, crashed or unreachable server is gone; the message is
 * still in the chat's history. At start and then every RECONCILE_INTERVAL_MS, the reconciler reads
 * the history of recently active conversations and hands every manager message we have no receipt
 * for to the hook intake (acceptRecovered), which dedups on the same `msg:<amojo id>` key as a real
 * hook — so neither a late hook nor a second pass ever sends anything twice.
 *
 * Limits (docs/operations.md): only chats we already know (a chat a manager starts while we are
 * down is invisible until its next hook); typing and reactions are not in history.
 */

export interface ReconcilerDeps {
  store: Pick<Store, 'conversations' | 'connections' | 'receipts'>;
  amojo: Pick<AmojoClient, 'getHistory'>;
  hooks: { acceptRecovered(connection: Connection, hook: MessageHook, raw: string): Promise<'accepted' | 'duplicate'> };
  clock: Clock;
  logger: Logger;
  metrics?: Metrics;
  /** Conversations active within this window are checked, and messages older than it ignored. */
  lookbackMs: number;
  /**
   * Orders recovered messages before later live hooks of the same chat. Attached at creation, so
   * create the reconciler before the server listens: during the gate's start window, the first
   * live hook of each chat has that chat recovered first; each pass tells the gate what it covered.
   */
  gate?: RecoveryGate;
  /** Between passes; 0 = only the pass at start. */
  intervalMs: number;
  /**
   * Periodic passes leave messages younger than this to their hook, which may be in flight (amojo
   * waits ≤ 5 s). The pass at start uses 0: nothing written before we listened can still arrive.
   */
  graceMs?: number;
  maxChatsPerPass?: number;
  maxPagesPerChat?: number;
  concurrency?: number;
}

export interface ReconcileReport {
  chats: number;
  recovered: number;
  errors: number;
}

export interface Reconciler {
  runOnce(): Promise<ReconcileReport>;
  /** Runs a pass now, then one every intervalMs (never two at once). */
  start(): void;
  /**
   * Stops scheduling; a running pass ends after the chats it is reading. Waits for that at most
   * STOP_WAIT_MS, so a slow amojo cannot hold a shutdown: an unfinished pass loses nothing (the
   * next start re-reads the same history, and receipts dedup what was already taken).
   */
  stop(): Promise<void>;
}

export const HISTORY_PAGE = 50;
/** A chat checked at T is read back to T − overlap next time: covers clock skew and late commits. */
const CHECK_OVERLAP_MS = 5 * 60_000;
/** A conversation row can be younger than its amojo chat's first message by a little. */
const CREATED_SLACK_MS = 5 * 60_000;
const STOP_WAIT_MS = 3_000;

export function createReconciler(deps: ReconcilerDeps): Reconciler {
  const { store, amojo, clock, metrics } = deps;
  const logger = deps.logger.child({ component: 'reconciler' });
  const graceMs = deps.graceMs ?? 30_000;
  const maxChats = deps.maxChatsPerPass ?? 1_000;
  const maxPages = deps.maxPagesPerChat ?? 10;
  const concurrency = Math.max(1, deps.concurrency ?? 4);
  // One line per interval when every chat fails alike (storage down, amojo down), not one per chat.
  const chatFailed = createLogThrottle(logger, 30_000);
  /** conversation id → everything up to this time (server clock) was checked. */
  let checkedUpTo = new Map<string, number>();
  let passes = 0;

  async function missedInChat(conversation: Conversation, cutoff: number, newest: number): Promise<HistoryMessage[]> {
    const missed: HistoryMessage[] = [];
    for (let page = 0; page < maxPages; page++) {
      const { messages } = await amojo.getHistory(conversation.scopeId, conversation.amojoChatId!, { offset: page * HISTORY_PAGE, limit: HISTORY_PAGE });
      let reachedCutoff = false;
      for (const m of messages) {
        const at = historyMessageAt(m);
        if (at < cutoff) {
          reachedCutoff = true;
          continue;
        }
        if (at > newest || !isManagerMessage(m, conversation)) continue;
        if (!(await store.receipts.has(`msg:${m.message!.id}`))) missed.push(m);
      }
      // History is newest first: past the cutoff, every further page is older still.
      if (messages.length < HISTORY_PAGE || reachedCutoff) break;
    }
    // Offset paging can show a message twice when new ones arrive meanwhile; keep each once, oldest
    // first. History is newest first, so reversing it orders messages written in the same millisecond.
    const unique = new Map(missed.map((m) => [m.message!.id!, m]));
    return [...unique.values()].reverse().sort((a, b) => historyMessageAt(a) - historyMessageAt(b));
  }

  async function reconcileChat(
    conversation: Conversation,
    connection: Connection,
    passStart: number,
    grace: number,
    report: ReconcileReport,
    next: Map<string, number>,
  ): Promise<void> {
    const base = Math.max(passStart - deps.lookbackMs, conversation.createdAt - CREATED_SLACK_MS);
    const previous = checkedUpTo.get(conversation.id);
    const cutoff = previous === undefined ? base : Math.max(base, previous - CHECK_OVERLAP_MS);
    const newest = passStart - grace;
    try {
      for (const m of await missedInChat(conversation, cutoff, newest)) {
        const hook = historyToHook(m, conversation, connection);
        if (!hook) {
          logger.warn(
            { scopeId: conversation.scopeId, chatId: conversation.amojoChatId, amojoMsgId: m.message?.id },
            'a missed manager message lacks the ids a hook needs; not relayed',
          );
          continue;
        }
        const outcome = await deps.hooks.acceptRecovered(connection, hook, JSON.stringify(hook));
        if (outcome !== 'accepted') continue;
        report.recovered++;
        metrics?.reconcilerRecovered.inc();
        logger.info(
          {
            scopeId: conversation.scopeId,
            chatId: conversation.amojoChatId,
            conversationId: conversation.conversationId,
            amojoMsgId: m.message!.id,
            writtenAt: historyMessageAt(m),
          },
          'recovered a manager message from chat history: its hook never reached us',
        );
      }
      next.set(conversation.id, newest);
      metrics?.reconcilerChats.inc({ result: 'ok' });
    } catch (err) {
      report.errors++;
      metrics?.reconcilerChats.inc({ result: 'error' });
      if (previous !== undefined) next.set(conversation.id, previous);
      // amojo no longer knows the chat (e.g. the sandbox emulator restarted empty): nothing to recover.
      if (isAmojoNotFound(err)) logger.debug({ err, chatId: conversation.amojoChatId }, 'chat history not found');
      else
        chatFailed(
          'warn',
          { err, scopeId: conversation.scopeId, chatId: conversation.amojoChatId },
          'could not reconcile a chat from its history; will try again next pass',
        );
    }
  }

  /** One chat now, read up to now, for the first live hook of that chat in the gate's start window. */
  async function recoverChat(scopeId: string, chatId: string): Promise<void> {
    const conversation = await store.conversations.getByAmojoChatId(scopeId, chatId);
    if (!conversation) return;
    const connection = await store.connections.getByScope(scopeId);
    if (connection?.status !== 'connected') return;
    await reconcileChat(conversation, connection, clock.now(), 0, { chats: 0, recovered: 0, errors: 0 }, new Map());
  }
  deps.gate?.attach(recoverChat);

  async function pass(): Promise<ReconcileReport> {
    const passStart = clock.now();
    const grace = passes++ === 0 ? 0 : graceMs;
    const report: ReconcileReport = { chats: 0, recovered: 0, errors: 0 };
    const active = await store.conversations.listActiveSince(passStart - deps.lookbackMs, maxChats);
    const conversations = active.filter((c) => c.amojoChatId);
    const connections = new Map<string, Connection | null>();
    const next = new Map<string, number>();
    const queue = [...conversations];
    async function lane(): Promise<void> {
      for (let c = queue.shift(); c && !task.stopping; c = queue.shift()) {
        if (!connections.has(c.scopeId)) connections.set(c.scopeId, await store.connections.getByScope(c.scopeId));
        const connection = connections.get(c.scopeId);
        if (connection?.status !== 'connected') continue;
        report.chats++;
        const chat = c;
        const work = () => reconcileChat(chat, connection, passStart, grace, report, next);
        await (deps.gate ? deps.gate.recovering(chat.scopeId, chat.amojoChatId!, work) : work());
      }
    }
    await Promise.all(Array.from({ length: concurrency }, lane));
    checkedUpTo = next;
    // Every active chat read up to passStart − grace: the gate's start window may end. Not when
    // some chat was not read (an error, a stop, more chats than one pass takes): the window then
    // ends with a later pass or at its limit.
    if (report.errors === 0 && !task.stopping && active.length < maxChats) deps.gate?.passDone(passStart - grace);
    const log = { ...report, durationMs: clock.now() - passStart };
    if (report.recovered > 0 || report.errors > 0) logger.info(log, 'reconcile pass done');
    else logger.debug(log, 'reconcile pass done');
    return report;
  }

  const task = createPeriodicTask({
    pass,
    onError: (err) => {
      logger.error({ err }, 'reconcile pass failed; will try again next pass');
      return { chats: 0, recovered: 0, errors: 1 };
    },
    ...(metrics ? { runs: metrics.reconcilerRuns } : {}),
    firstDelayMs: 0,
    intervalMs: deps.intervalMs,
    stopWaitMs: STOP_WAIT_MS,
  });

  return {
    runOnce: task.runOnce,
    start: task.start,
    stop() {
      deps.gate?.startupDone();
      return task.stop();
    },
  };
}
