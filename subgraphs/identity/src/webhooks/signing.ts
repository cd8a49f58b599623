import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { useDevelopmentSecret } from '@ipay/platform';

/**
 * Standard Webhooks (https://www.standardwebhooks.com) signing: `whsec_` secrets, and
 * `v1,<base64 HMAC-SHA256(secret bytes, "<id>.<timestamp>.<body>")>` signatures, space-separated when
 * several secrets sign (during a rotation's grace period).
 */

export const SECRET_PREFIX = 'whsec_';
/** 32 random bytes (the spec asks for 24 to 64). */
const SECRET_BYTES = 32;

export const generateWebhookSecret = () => `${SECRET_PREFIX}${randomBytes(SECRET_BYTES).toString('base64')}`;

export function secretBytes(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error('webhook secret must start with whsec_');
  return Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
}

export function signPayload(secret: string, id: string, timestampSeconds: number, body: string): string {
  return `v1,${createHmac('sha256', secretBytes(secret)).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`;
}

/** The three Standard Webhooks headers for one attempt; every given secret signs. */
export function webhookHeaders(secrets: readonly string[], id: string, timestampSeconds: number, body: string): { 'webhook-id': string; 'webhook-timestamp': string; 'webhook-signature': string } {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': secrets.map((secret) => signPayload(secret, id, timestampSeconds, body)).join(' '),
  };
}

const DEVELOPMENT_KEY_MATERIAL = 'ipay-development-webhook-secret-encryption-key';

/**
 * The AES-256 key that encrypts signing secrets at rest, from WEBHOOK_SECRET_ENCRYPTION_KEY (32 bytes as
 * base64 or 64 hex digits). A development key is derived when unset, except in production.
 */
export function webhookEncryptionKey(raw: string | undefined, production: boolean): Buffer {
  if (!raw) {
    if (production) throw new Error('WEBHOOK_SECRET_ENCRYPTION_KEY is required in production (IPAY_ENV)');
    useDevelopmentSecret('WEBHOOK_SECRET_ENCRYPTION_KEY');
    return createHash('sha256').update(DEVELOPMENT_KEY_MATERIAL).digest();
  }
  const key = /^[0-9a-f]{64}$/i.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  if (key.length !== 32) throw new Error('WEBHOOK_SECRET_ENCRYPTION_KEY must be 32 bytes, as base64 or 64 hex digits');
  return key;
}

/**
 * `v1.<iv>.<tag>.<ciphertext>` (base64url). The endpoint id is authenticated data, so a ciphertext copied
 * onto another endpoint's row does not decrypt.
 */
export function encryptSecret(key: Buffer, secret: string, endpointId: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(endpointId));
  const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return ['v1', iv, cipher.getAuthTag(), ciphertext].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
}

export function decryptSecret(key: Buffer, stored: string, endpointId: string): string {
  const [version, iv, tag, ciphertext] = stored.split('.');
  if (version !== 'v1' || !iv || !tag || ciphertext === undefined) throw new Error('unrecognised encrypted webhook secret');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(endpointId));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
}
