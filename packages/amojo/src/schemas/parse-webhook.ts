import type { z } from 'zod';
import { messageHookSchema, reactionHookSchema, typingHookSchema, isWriteFirstHook } from './webhooks';
import type { MessageHook, ReactionHook, TypingHook } from './webhooks';

/*
 * parseWebhook never throws: the webhook route answers amojo within milliseconds and decides what
 * to do with a failure (400 + log, keeping the raw body), which reads better as a value than a catch.
 */

export type WebhookEvent =
  | { kind: 'message'; writeFirst: boolean; data: MessageHook }
  | { kind: 'typing'; data: TypingHook }
  | { kind: 'reaction'; data: ReactionHook };
export type WebhookKind = WebhookEvent['kind'];

export interface WebhookIssue {
  path: (string | number)[];
  message: string;
}

export type WebhookFailureReason = 'invalid_json' | 'unknown_kind' | 'invalid_shape';

export type ParseWebhookResult = { ok: true; hook: WebhookEvent } | { ok: false; reason: WebhookFailureReason; kind?: WebhookKind; issues: WebhookIssue[] };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function toIssues(error: z.ZodError): WebhookIssue[] {
  return error.issues.map((i) => ({
    path: i.path.map((p) => (typeof p === 'symbol' ? String(p) : p)),
    message: i.message,
  }));
}

function decode(raw: unknown): { ok: true; value: unknown } | { ok: false; message: string } {
  let text: string | undefined;
  if (typeof raw === 'string') text = raw;
  else if (raw instanceof Uint8Array) text = new TextDecoder().decode(raw);
  if (text === undefined) return { ok: true, value: raw };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, message: `body is not JSON: ${(err as Error).message}` };
  }
}

/** Which hook this is, judged by its top-level shape (amojo sends no explicit type field). */
export function detectWebhookKind(value: unknown): WebhookKind | undefined {
  if (!isRecord(value)) return undefined;
  if (isRecord(value.message)) return 'message';
  if (isRecord(value.action)) {
    if (isRecord(value.action.typing)) return 'typing';
    if (isRecord(value.action.reaction)) return 'reaction';
  }
  return undefined;
}

/**
 * Parses an amojo hook from its raw body (string or bytes) or an already parsed value. Unknown
 * fields are kept on `data`. Verify the signature on the raw bytes before calling this.
 */
export function parseWebhook(raw: unknown): ParseWebhookResult {
  const decoded = decode(raw);
  if (!decoded.ok) return { ok: false, reason: 'invalid_json', issues: [{ path: [], message: decoded.message }] };
  const value = decoded.value;
  const kind = detectWebhookKind(value);
  if (kind === undefined) {
    return {
      ok: false,
      reason: 'unknown_kind',
      issues: [{ path: [], message: 'not a known amojo hook: expected `message`, `action.typing` or `action.reaction`' }],
    };
  }
  if (kind === 'message') {
    const r = messageHookSchema.safeParse(value);
    if (!r.success) return { ok: false, reason: 'invalid_shape', kind, issues: toIssues(r.error) };
    return { ok: true, hook: { kind, writeFirst: isWriteFirstHook(r.data), data: r.data } };
  }
  if (kind === 'typing') {
    const r = typingHookSchema.safeParse(value);
    if (!r.success) return { ok: false, reason: 'invalid_shape', kind, issues: toIssues(r.error) };
    return { ok: true, hook: { kind, data: r.data } };
  }
  const r = reactionHookSchema.safeParse(value);
  if (!r.success) return { ok: false, reason: 'invalid_shape', kind, issues: toIssues(r.error) };
  return { ok: true, hook: { kind, data: r.data } };
}
