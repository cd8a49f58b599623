import { createHash, createHmac } from 'node:crypto';

/** Request-signing primitives used by the marketplaces that sign instead of (or on top of) bearer tokens. */

export function hmacSha256Hex(secret: string, message: string): string {
  return createHmac('sha256', secret).update(message, 'utf8').digest('hex');
}

export function md5Hex(message: string): string {
  return createHash('md5').update(message, 'utf8').digest('hex');
}

/**
 * "k1v1k2v2…" over keys sorted by code point, the canonical form Lazada, AliExpress, TikTok Shop and Temu sign.
 * Objects and arrays are signed as their compact JSON, exactly as they are sent.
 */
export function sortedKeyValues(params: Record<string, unknown>, exclude: readonly string[] = []): string {
  return Object.keys(params)
    .filter((k) => !exclude.includes(k) && params[k] !== undefined && params[k] !== null)
    .sort()
    .map((k) => {
      const v = params[k];
      return k + (typeof v === 'object' ? JSON.stringify(v) : String(v));
    })
    .join('');
}

/** Lazada / AliExpress (IOP): HMAC-SHA256(secret, apiPath + sorted k/v), uppercase hex. */
export function iopSign(secret: string, apiPath: string, params: Record<string, unknown>): string {
  return hmacSha256Hex(secret, apiPath + sortedKeyValues(params, ['sign'])).toUpperCase();
}

/** TikTok Shop: HMAC-SHA256(secret, secret + path + sorted query k/v (without sign, access_token) + body + secret). */
export function tiktokSign(secret: string, path: string, query: Record<string, unknown>, body: string): string {
  return hmacSha256Hex(secret, secret + path + sortedKeyValues(query, ['sign', 'access_token']) + body + secret);
}

/** Shopee v2 shop-level call: HMAC-SHA256(partnerKey, partnerId + path + timestamp + accessToken + shopId). */
export function shopeeSign(partnerKey: string, partnerId: string, path: string, timestamp: number, accessToken: string, shopId: string): string {
  return hmacSha256Hex(partnerKey, `${partnerId}${path}${timestamp}${accessToken}${shopId}`);
}

/** Temu: MD5(secret + sorted k/v of every body parameter + secret), uppercase hex. */
export function temuSign(secret: string, params: Record<string, unknown>): string {
  return md5Hex(secret + sortedKeyValues(params, ['sign']) + secret).toUpperCase();
}
