import { createHmac } from 'node:crypto';
import { parseProviderSignature, providerSignatureHex, signProviderEvent, verifyProviderSignature } from '../../src/outbox/provider-signature';

describe('X-Amochan-Signature', () => {
  const secret = 'whsec_test';
  const body = '{"id":"evt_1","type":"typing","created_at":1700000000000,"account":"alice","data":{}}';
  const now = 1_700_000_000_123;

  it('is t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>', () => {
    const expected = createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
    expect(signProviderEvent(body, secret, now)).toBe(`t=1700000000,v1=${expected}`);
    expect(providerSignatureHex(secret, 1700000000, Buffer.from(body))).toBe(expected);
  });

  it('pins a golden vector', () => {
    expect(signProviderEvent('{}', 'secret', 1_000_000_000_000)).toBe(
      `t=1000000000,v1=${createHmac('sha256', 'secret').update('1000000000.{}').digest('hex')}`,
    );
  });

  it('verifies what it signs, within the tolerance', () => {
    const header = signProviderEvent(body, secret, now);
    expect(verifyProviderSignature(body, header, secret, { nowMs: now })).toBe(true);
    expect(verifyProviderSignature(Buffer.from(body), header, secret, { nowMs: now + 299_000 })).toBe(true);
    expect(verifyProviderSignature(body, header, secret, { nowMs: now + 301_000 })).toBe(false);
    expect(verifyProviderSignature(body, header, secret, { nowMs: now - 301_000 })).toBe(false);
    expect(verifyProviderSignature(body, header, secret, { nowMs: now + 10_000_000, toleranceS: 0 })).toBe(true);
  });

  it('rejects tampered bodies, other secrets, empty secrets and junk headers', () => {
    const header = signProviderEvent(body, secret, now);
    expect(verifyProviderSignature(body.replace('alice', 'bob'), header, secret, { nowMs: now })).toBe(false);
    expect(verifyProviderSignature(body, header, 'other', { nowMs: now })).toBe(false);
    expect(verifyProviderSignature(body, header, '', { nowMs: now })).toBe(false);
    expect(verifyProviderSignature(body, undefined, secret, { nowMs: now })).toBe(false);
    expect(verifyProviderSignature(body, 'garbage', secret, { nowMs: now })).toBe(false);
    expect(verifyProviderSignature(body, header.replace(/t=\d+/, 't=1700000001'), secret, { nowMs: now })).toBe(false);
  });

  it('accepts several v1 values (secret rotation) and ignores unknown parts', () => {
    const good = signProviderEvent(body, secret, now).split(',')[1]!;
    const header = `t=1700000000,v0=abc,v1=${'0'.repeat(64)},${good}`;
    expect(parseProviderSignature(header)?.signatures).toHaveLength(2);
    expect(verifyProviderSignature(body, header, secret, { nowMs: now })).toBe(true);
  });
});
