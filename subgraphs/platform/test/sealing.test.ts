import { describe, expect, it } from 'vitest';
import { Sealer, canonicalJson, sealingKeyFromEnv } from '../src/index.ts';

describe('the one sealer', () => {
  const key = sealingKeyFromEnv('TEST_SEALING_KEY', 'ab'.repeat(32), 'unused');

  it('opens what it sealed only with the same key and context', () => {
    const sealer = new Sealer(key);
    const sealed = sealer.seal('whsec_secret', 'whe_1');
    expect(sealed).toMatch(/^v1\.[\w-]{16}\.[\w-]{22}\.[\w-]+$/);
    expect(sealer.seal('whsec_secret', 'whe_1')).not.toBe(sealed); // a fresh IV every time
    expect(sealer.open(sealed, 'whe_1')).toBe('whsec_secret');
    expect(() => sealer.open(sealed, 'whe_2')).toThrow();
    expect(() => new Sealer(Buffer.alloc(32, 1)).open(sealed, 'whe_1')).toThrow();
    const [v, iv, tag, body] = sealed.split('.');
    const flipped = Buffer.from(body!, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    expect(() => sealer.open([v, iv, tag, flipped.toString('base64url')].join('.'), 'whe_1')).toThrow();
    expect(() => sealer.open(`v2.${iv}.${tag}.${body}`, 'whe_1')).toThrow(/known format/);
  });

  it('takes 32-byte keys as hex or base64 and refuses anything else', () => {
    expect(sealingKeyFromEnv('K', Buffer.alloc(32, 3).toString('base64'), 'x')).toEqual(Buffer.alloc(32, 3));
    expect(() => sealingKeyFromEnv('K', 'c2hvcnQ=', 'x')).toThrow('K must be 32 bytes');
    expect(() => new Sealer(Buffer.alloc(16))).toThrow(/32 bytes/);
  });

  it('refuses a development key in production', () => {
    const previous = process.env.IPAY_ENV;
    process.env.IPAY_ENV = 'production';
    try {
      expect(() => sealingKeyFromEnv('SOME_KEY', undefined, 'phrase')).toThrow(/SOME_KEY is required in production/);
    } finally {
      process.env.IPAY_ENV = previous;
    }
    expect(sealingKeyFromEnv('SOME_KEY', undefined, 'phrase')).toHaveLength(32);
  });
});

describe('canonical JSON', () => {
  it('sorts keys at every depth and leaves undefined members out', () => {
    expect(canonicalJson({ b: 1, a: [{ d: null, c: undefined, e: 'x' }] })).toBe('{"a":[{"d":null,"e":"x"}],"b":1}');
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
    expect(canonicalJson(undefined)).toBe('null');
  });
});
