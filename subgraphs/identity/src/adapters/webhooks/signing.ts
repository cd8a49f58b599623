import { randomBytes } from 'node:crypto';
import { Sealer, sealingKeyFromEnv } from '@ipay/platform';
import { Webhook } from 'standardwebhooks';

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

/** One `v1,<signature>` by the standardwebhooks reference implementation. */
export function signPayload(secret: string, id: string, timestampSeconds: number, body: string): string {
  secretBytes(secret); // refuses a secret without the whsec_ prefix
  return new Webhook(secret).sign(id, new Date(timestampSeconds * 1000), body);
}

/** The three Standard Webhooks headers for one attempt; every given secret signs. */
export function webhookHeaders(
  secrets: readonly string[],
  id: string,
  timestampSeconds: number,
  body: string,
): { 'webhook-id': string; 'webhook-timestamp': string; 'webhook-signature': string } {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': secrets.map((secret) => signPayload(secret, id, timestampSeconds, body)).join(' '),
  };
}

const DEVELOPMENT_KEY_MATERIAL = 'ipay-development-webhook-secret-encryption-key';

/**
 * The AES-256 key that seals signing secrets at rest, from WEBHOOK_SECRET_ENCRYPTION_KEY (32 bytes as base64 or 64
 * hex digits); development derives one when unset, production refuses to start.
 */
export const webhookEncryptionKey = (raw: string | undefined): Buffer => sealingKeyFromEnv('WEBHOOK_SECRET_ENCRYPTION_KEY', raw, DEVELOPMENT_KEY_MATERIAL);

/** Signing secrets are sealed with the endpoint id as context: a ciphertext copied onto another endpoint does not open. */
export const encryptSecret = (key: Buffer, secret: string, endpointId: string): string => new Sealer(key).seal(secret, endpointId);
export const decryptSecret = (key: Buffer, stored: string, endpointId: string): string => new Sealer(key).open(stored, endpointId);
