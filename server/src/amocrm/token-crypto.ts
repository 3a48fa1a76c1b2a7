import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { AmocrmError } from './errors';

/**
 * OAuth tokens at rest: AES-256-GCM (node:crypto), a random 96-bit IV per value, and a versioned
 * envelope `v1.<iv>.<ciphertext>.<tag>` (base64url parts) so the scheme can change without a flag day.
 * An optional context (the amoCRM account id) is bound as additional authenticated data, so a
 * ciphertext copied onto another account's row does not decrypt.
 *
 * TOKEN_ENCRYPTION_KEY accepted formats (the 256-bit AES key is always derived with HKDF-SHA256
 * from the decoded bytes, so any of them gives a full-strength key):
 * - 64 hexadecimal characters (32 random bytes), e.g. `openssl rand -hex 32`;
 * - base64 or base64url of at least 32 bytes, prefixed `base64:`, e.g. `base64:$(openssl rand -base64 32)`;
 * - any other string of at least 32 characters, used as a passphrase (its UTF-8 bytes).
 * Shorter keys are refused.
 */
export interface TokenCipher {
  encrypt(plaintext: string, context?: string): string;
  /** Throws AmocrmError `token_decrypt_failed` when the envelope is altered or from another key. */
  decrypt(envelope: string, context?: string): string;
}

const VERSION = 'v1';
const HKDF_INFO = 'amochan oauth token encryption v1';

export function decodeEncryptionKey(key: string): Buffer {
  const k = key.trim();
  let bytes: Buffer;
  if (/^[0-9a-f]{64}$/i.test(k)) bytes = Buffer.from(k, 'hex');
  else if (k.startsWith('base64:')) {
    const body = k.slice('base64:'.length);
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(body)) throw new AmocrmError('invalid_encryption_key', 'TOKEN_ENCRYPTION_KEY: the base64: value is not base64');
    bytes = Buffer.from(body.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  } else bytes = Buffer.from(k, 'utf8');
  if (bytes.length < 32) {
    throw new AmocrmError(
      'invalid_encryption_key',
      'TOKEN_ENCRYPTION_KEY must carry at least 32 bytes: 64 hex characters (openssl rand -hex 32), base64:<32+ bytes>, or a passphrase of 32+ characters',
    );
  }
  return bytes;
}

export function createTokenCipher(encryptionKey: string): TokenCipher {
  const key = Buffer.from(hkdfSync('sha256', decodeEncryptionKey(encryptionKey), Buffer.alloc(0), HKDF_INFO, 32));
  const fail = (cause?: unknown) =>
    new AmocrmError('token_decrypt_failed', 'a stored OAuth token does not decrypt (altered, or TOKEN_ENCRYPTION_KEY changed); the account must reinstall', {
      cause,
    });

  return {
    encrypt(plaintext, context = '') {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [VERSION, iv.toString('base64url'), data.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
    },
    decrypt(envelope, context = '') {
      const parts = envelope.split('.');
      if (parts.length !== 4 || parts[0] !== VERSION) throw fail();
      const [, iv, data, tag] = parts.map((p) => Buffer.from(p, 'base64url')) as [Buffer, Buffer, Buffer, Buffer];
      if (iv.length !== 12 || tag.length !== 16) throw fail();
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv);
        decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
      } catch (err) {
        throw fail(err);
      }
    },
  };
}
