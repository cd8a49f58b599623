import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { useDevelopmentSecret } from '@ipay/platform';

const DEVELOPMENT_KEY = 'ipay-development-integration-key-change-me';

/**
 * The 32-byte key that seals integration credentials at rest. INTEGRATION_ENCRYPTION_KEY is 32 bytes as
 * base64 or hex; development derives one from a fixed phrase (refused in production).
 */
export function integrationKey(value: string | undefined = process.env.INTEGRATION_ENCRYPTION_KEY): Buffer {
  if (!value) {
    useDevelopmentSecret('INTEGRATION_ENCRYPTION_KEY');
    return createHash('sha256').update(DEVELOPMENT_KEY).digest();
  }
  const key = /^[0-9a-f]{64}$/i.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  if (key.length !== 32) throw new Error('INTEGRATION_ENCRYPTION_KEY must be 32 bytes, base64 or hex encoded');
  return key;
}

/** AES-256-GCM with a random 96-bit IV; `aad` binds the ciphertext to its row so it cannot be swapped. */
export function seal(key: Buffer, plaintext: string, aad: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
}

export function unseal(key: Buffer, sealed: string, aad: string): string {
  const [version, iv, tag, ciphertext] = sealed.split('.');
  if (version !== 'v1' || !iv || !tag || ciphertext === undefined) throw new Error('sealed credentials are not in a known format');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
}
