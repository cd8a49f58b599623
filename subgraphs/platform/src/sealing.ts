import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { useDevelopmentSecret } from './config.ts';

/**
 * AES-256-GCM sealing of short secrets at rest (integration credentials, webhook signing secrets, release codes):
 * `v1.<iv>.<tag>.<ciphertext>` in base64url with a random 96-bit IV. The context (the owning row's id) is
 * authenticated data, so a ciphertext copied onto another row does not open.
 */
export class Sealer {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('a sealing key must be 32 bytes');
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
  }

  open(sealed: string, context: string): string {
    const [version, iv, tag, ciphertext, ...rest] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || ciphertext === undefined || rest.length) throw new Error('not a sealed value in a known format');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  }
}

/**
 * A 32-byte sealing key from the environment variable `name` (base64 or 64 hex digits). When it is unset, development
 * derives one from a fixed phrase (announced as a development secret); production refuses to start.
 */
export function sealingKeyFromEnv(name: string, raw: string | undefined, developmentMaterial: string): Buffer {
  if (!raw) {
    useDevelopmentSecret(name); // throws in production
    return createHash('sha256').update(developmentMaterial).digest();
  }
  const key = /^[0-9a-f]{64}$/i.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  if (key.length !== 32) throw new Error(`${name} must be 32 bytes, as base64 or 64 hex digits`);
  return key;
}
