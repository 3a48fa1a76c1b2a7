import { createTokenCipher, decodeEncryptionKey } from '../../src/amocrm/token-crypto';

const HEX = '0123456789abcdef'.repeat(4);

describe('token encryption at rest', () => {
  const cipher = createTokenCipher(HEX);

  it('round-trips, with a fresh IV each time and no plaintext in the envelope', () => {
    const a = cipher.encrypt('secret-token', 'amocrm:1');
    const b = cipher.encrypt('secret-token', 'amocrm:1');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(a).not.toContain('secret');
    expect(cipher.decrypt(a, 'amocrm:1')).toBe('secret-token');
  });

  it('refuses a tampered envelope, another key, another context and an unknown version', () => {
    const env = cipher.encrypt('secret-token', 'amocrm:1');
    const parts = env.split('.');
    const flipped = Buffer.from(parts[2]!, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    const tampered = [parts[0], parts[1], flipped.toString('base64url'), parts[3]].join('.');
    const code = { code: 'token_decrypt_failed' };
    expect(() => cipher.decrypt(tampered, 'amocrm:1')).toThrow(expect.objectContaining(code));
    expect(() => createTokenCipher('f'.repeat(64)).decrypt(env, 'amocrm:1')).toThrow(expect.objectContaining(code));
    expect(() => cipher.decrypt(env, 'amocrm:2')).toThrow(expect.objectContaining(code));
    expect(() => cipher.decrypt(`v2${env.slice(2)}`, 'amocrm:1')).toThrow(expect.objectContaining(code));
    expect(() => cipher.decrypt('garbage', 'amocrm:1')).toThrow(expect.objectContaining(code));
  });

  it('accepts hex, base64: and long passphrases; refuses short keys', () => {
    expect(decodeEncryptionKey(HEX)).toHaveLength(32);
    expect(decodeEncryptionKey(`base64:${Buffer.alloc(32, 7).toString('base64')}`)).toEqual(Buffer.alloc(32, 7));
    expect(decodeEncryptionKey('correct horse battery staple, and more')).toHaveLength(38);
    for (const bad of ['short', 'abcd'.repeat(4), `base64:${Buffer.alloc(16).toString('base64')}`, 'base64:!!!']) {
      expect(() => createTokenCipher(bad)).toThrow(expect.objectContaining({ code: 'invalid_encryption_key' }));
    }
    const viaBase64 = createTokenCipher(`base64:${Buffer.from(HEX, 'hex').toString('base64')}`);
    expect(viaBase64.decrypt(cipher.encrypt('x'), '')).toBe('x');
  });
});
