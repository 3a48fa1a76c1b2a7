import fc from 'fast-check';
import {
  AmojoInvalidSignatureError,
  historyResponseSchema,
  messageSchema,
  parseRetryAfter,
  parseWebhook,
  signWebhookBody,
  verifyAndParseWebhook,
  verifyWebhookSignature,
  type HistoryMessage,
} from '@amochan/amojo';
import { findJsonViolation, rawJsonDepth } from '../../src/lib/json-limits';
import { extractRemoteText, MAX_REMOTE_TEXT } from '../../src/outbox/provider-delivery';
import { historyToHook, isManagerMessage } from '../../src/services/history-hook';
import { parseProviderSignature, signProviderEvent, verifyProviderSignature } from '../../src/outbox/provider-signature';
import { conversation } from '../support/fixtures';

/**
 * Properties of the parsers every byte from outside goes through (the SDK's and ours): they never
 * throw, whatever they are fed, and what they accept is what they promise.
 */

const RUNS = 200;
const anyString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('', ' ', '\u0000', '\ud800', 'NaN', '-1', '1e309', 't=1,v1=', 't=,v1=ab'),
);

describe('SDK parsers', () => {
  it('parseWebhook: an accepted hook carries the ids routing needs, as strings', () => {
    const leaf = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.uuid(), fc.constant(undefined));
    const hookish = fc.record(
      {
        account_id: leaf,
        time: leaf,
        message: fc.oneof(
          leaf,
          fc.record({
            receiver: fc.oneof(leaf, fc.record({ id: leaf })),
            sender: fc.oneof(leaf, fc.record({ id: leaf })),
            conversation: fc.oneof(leaf, fc.record({ id: leaf, client_id: leaf })),
            message: fc.oneof(leaf, fc.record({ id: leaf, type: leaf, text: leaf })),
          }),
        ),
        action: fc.oneof(leaf, fc.record({ typing: fc.oneof(leaf, fc.record({ user: fc.record({ id: leaf }), conversation: fc.record({ id: leaf }) })) })),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(hookish, (value) => {
        const r = parseWebhook(JSON.stringify(value));
        if (!r.ok) return;
        expect(typeof r.hook.data.account_id).toBe('string');
        if (r.hook.kind === 'message') {
          const m = r.hook.data.message;
          for (const id of [m.receiver.id, m.sender.id, m.conversation.id, m.message.id]) expect(typeof id).toBe('string');
          expect(r.hook.writeFirst).toBe(!m.conversation.client_id);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('parseWebhook never throws on raw bytes, including invalid UTF-8 and deep nesting', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.integer({ min: 1, max: 20_000 }).map((d) => new TextEncoder().encode(`${'{"message":'.repeat(d)}1${'}'.repeat(d)}`)),
    );
    fc.assert(
      fc.property(bytes, (b) => void parseWebhook(b)),
      { numRuns: RUNS },
    );
  });

  it('verifyWebhookSignature never throws; verifyAndParseWebhook throws only its typed error', () => {
    fc.assert(
      fc.property(anyString, fc.option(anyString), anyString, (body, header, secret) => {
        expect(typeof verifyWebhookSignature(body, header, secret)).toBe('boolean');
        // It throws by design on a bad signature — only ever the SDK's typed error.
        try {
          expect(verifyAndParseWebhook(body, header, secret)).toHaveProperty('ok');
        } catch (err) {
          expect(err).toBeInstanceOf(AmojoInvalidSignatureError);
        }
        if (secret !== '') expect(verifyWebhookSignature(body, signWebhookBody(body, secret), secret)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('messageSchema and historyResponseSchema never throw on arbitrary values', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
        expect(typeof messageSchema.safeParse(v).success).toBe('boolean');
        expect(typeof historyResponseSchema.safeParse(v).success).toBe('boolean');
        expect(typeof historyResponseSchema.safeParse({ messages: [v] }).success).toBe('boolean');
      }),
      { numRuns: RUNS },
    );
  });
});

describe('server parsers', () => {
  it('provider signature: parse/verify never throw; sign → verify round-trips', () => {
    fc.assert(
      fc.property(anyString, fc.option(anyString), fc.string({ minLength: 1 }), fc.integer({ min: 0, max: 4_000_000_000_000 }), (body, header, secret, now) => {
        void parseProviderSignature(header);
        expect(typeof verifyProviderSignature(body, header, secret)).toBe('boolean');
        expect(verifyProviderSignature(body, signProviderEvent(body, secret, now), secret, { nowMs: now })).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('extractRemoteText and parseRetryAfter never throw and stay bounded', () => {
    fc.assert(
      fc.property(fc.oneof(anyString, fc.json(), fc.constant('x'.repeat(5000))), fc.option(anyString), (body, header) => {
        const text = extractRemoteText(body);
        if (text !== undefined) expect(text.length).toBeLessThanOrEqual(MAX_REMOTE_TEXT);
        const ms = parseRetryAfter(header, Date.now());
        if (ms !== undefined) expect(ms).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: RUNS },
    );
  });

  it('rawJsonDepth agrees with the parsed depth of any JSON text', () => {
    const depthOf = (v: unknown): number => (v !== null && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v as object).map(depthOf)) : 0);
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => {
        const text = JSON.stringify(v);
        expect(rawJsonDepth(new TextEncoder().encode(text))).toBe(depthOf(v));
        const limits = { maxDepth: 3, maxStringLength: 10 };
        const violation = findJsonViolation(v, limits);
        if (depthOf(v) > 3) expect(violation).not.toBeNull();
        if (violation?.code === 'json_too_deep') expect(depthOf(v)).toBeGreaterThan(3);
      }),
      { numRuns: RUNS },
    );
  });

  it('history → hook never throws; what it builds parses as a message hook', () => {
    const conv = conversation({ id: 'cnv', login: 'l', scopeId: 's', conversationId: 'c', amojoChatId: 'chat', clientId: 'cl', clientRefId: 'ref' });
    const leaf = fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.uuid());
    const entry = fc.record(
      {
        timestamp: leaf,
        msec_timestamp: leaf,
        sender: fc.oneof(leaf, fc.record({ id: leaf, client_id: leaf, name: leaf }, { requiredKeys: [] })),
        receiver: fc.oneof(leaf, fc.record({ id: leaf, client_id: leaf, phone: leaf }, { requiredKeys: [] })),
        message: fc.oneof(leaf, fc.record({ id: leaf, client_id: leaf, type: leaf, text: leaf, media: leaf }, { requiredKeys: [] })),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(entry, (raw) => {
        const parsed = historyResponseSchema.safeParse({ messages: [raw] });
        if (!parsed.success) return;
        const m = parsed.data.messages[0] as HistoryMessage;
        void isManagerMessage(m, conv);
        const hook = historyToHook(m, conv, { amojoAccountId: 'acc' });
        if (hook) expect(parseWebhook(JSON.stringify(hook))).toMatchObject({ ok: true, hook: { kind: 'message' } });
      }),
      { numRuns: RUNS },
    );
  });
});
