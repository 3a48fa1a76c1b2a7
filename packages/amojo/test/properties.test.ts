import fc from 'fast-check';
import { parseWebhook } from '@amochan/amojo/schemas';
import { signRequest, verifySignedRequest, verifyWebhookSignature, signWebhookBody } from '@amochan/amojo';

describe('properties', () => {
  it('parseWebhook never throws on arbitrary JSON values or strings', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.string(), fc.json()), (input) => {
        const r = parseWebhook(input);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 300 },
    );
  });

  it('parseWebhook never throws on hook-shaped objects with arbitrary leaves', () => {
    const leaf = fc.oneof(fc.jsonValue(), fc.constant(undefined));
    const hookish = fc.record({
      account_id: leaf,
      message: fc.oneof(leaf, fc.record({ receiver: leaf, sender: leaf, conversation: leaf, message: fc.oneof(leaf, fc.record({ id: leaf, type: leaf })) })),
      action: fc.oneof(
        leaf,
        fc.record({ typing: leaf, reaction: fc.oneof(leaf, fc.record({ msgid: leaf, message: leaf, user: leaf, conversation: leaf, type: leaf })) }),
      ),
    });
    fc.assert(
      fc.property(hookish, (input) => void parseWebhook(input)),
      { numRuns: 300 },
    );
  });

  it('signRequest / verifySignedRequest round-trip for arbitrary bodies, paths, methods and secrets', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.uint8Array().map((b) => Buffer.from(b)),
        ),
        fc.constantFrom('GET', 'POST', 'DELETE'),
        fc.webPath(),
        fc.string({ minLength: 1 }),
        fc.date({ min: new Date(0), max: new Date(Date.UTC(2100, 0, 1)), noInvalidDate: true }),
        (body, method, path, secret, date) => {
          const h = signRequest({ method, path, body, secret, date });
          const headers = { date: h.Date, contentType: h['Content-Type'], contentMd5: h['Content-MD5'], signature: h['X-Signature'] };
          expect(verifySignedRequest({ method, path, body, secret, headers })).toEqual({ ok: true });
          expect(verifySignedRequest({ method, path, body, secret: `${secret}x`, headers })).toEqual({ ok: false, reason: 'signature' });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('webhook signatures round-trip for arbitrary bodies', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), (body, secret) => {
        expect(verifyWebhookSignature(body, signWebhookBody(body, secret), secret)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
