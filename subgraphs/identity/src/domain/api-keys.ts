import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys look like `ipk_test_AbCdEfGh…` (sandbox) or `ipk_live_…`: 40 random base62 characters (~238 bits).
 * The first 8 random characters after the mode form the visible prefix used to find the key; the store keeps
 * only an HMAC of the whole key, so a database leak reveals no usable key.
 */
export const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const RANDOM_LENGTH = 40;
const PREFIX_RANDOM_LENGTH = 8;
const KEY_PATTERN = /^ipk_(test|live)_([0-9A-Za-z]{40})$/;

function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length)) {
      // 62 * 4 = 248: rejecting bytes ≥ 248 keeps every character equally likely.
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

export interface ParsedApiKey {
  livemode: boolean;
  prefix: string;
}

export function parseApiKey(key: string): ParsedApiKey | null {
  const match = KEY_PATTERN.exec(key);
  if (!match) return null;
  return { livemode: match[1] === 'live', prefix: `ipk_${match[1]}_${match[2]!.slice(0, PREFIX_RANDOM_LENGTH)}` };
}

export const looksLikeApiKey = (value: string) => value.startsWith('ipk_');

export function generateApiKey(livemode: boolean, random: string = randomBase62(RANDOM_LENGTH)): { key: string; prefix: string } {
  const key = `ipk_${livemode ? 'live' : 'test'}_${random}`;
  return { key, prefix: parseApiKey(key)!.prefix };
}

export function hashApiKey(key: string, pepper: string): string {
  return createHmac('sha256', pepper).update(key).digest('hex');
}

export function apiKeyMatches(key: string, storedHash: string, pepper: string): boolean {
  const actual = Buffer.from(hashApiKey(key, pepper), 'hex');
  const expected = Buffer.from(storedHash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
