import { describe, expect, it } from 'vitest';
import { Sealer } from '@ipay/platform';
import { integrationKey } from '../../src/domain/crypto.ts';

const seal = (key: Buffer, plaintext: string, aad: string) => new Sealer(key).seal(plaintext, aad);
const unseal = (key: Buffer, sealed: string, aad: string) => new Sealer(key).open(sealed, aad);
import { isInternalHost } from '../../src/app/integrations.ts';

describe('integration credentials at rest', () => {
  const key = integrationKey('a'.repeat(64));

  it('round-trips through AES-256-GCM, with a fresh IV each time', () => {
    const secret = JSON.stringify({ accessToken: 'shpat_abcdef0123456789' });
    const a = seal(key, secret, 'integration:int_1');
    const b = seal(key, secret, 'integration:int_1');
    expect(a).not.toBe(b);
    expect(a).not.toContain('shpat_');
    expect(unseal(key, a, 'integration:int_1')).toBe(secret);
  });

  it('refuses a tampered ciphertext, another row, or another key', () => {
    const sealed = seal(key, '{"k":"v"}', 'integration:int_1');
    const parts = sealed.split('.');
    const flipped = Buffer.from(parts[3]!, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    expect(() => unseal(key, [parts[0], parts[1], parts[2], flipped.toString('base64url')].join('.'), 'integration:int_1')).toThrow();
    expect(() => unseal(key, sealed, 'integration:int_2')).toThrow();
    expect(() => unseal(integrationKey(Buffer.alloc(32, 7).toString('base64')), sealed, 'integration:int_1')).toThrow();
  });

  it('accepts only 32-byte keys', () => {
    expect(() => integrationKey('c2hvcnQ=')).toThrow(/32 bytes/);
    expect(integrationKey(undefined)).toHaveLength(32); // development default outside production
  });
});

describe('shop base URLs', () => {
  it.each([
    'localhost',
    '127.0.0.1',
    '10.1.2.3',
    '172.20.0.5',
    '192.168.1.10',
    '169.254.169.254',
    '100.64.0.1',
    '[::1]',
    '[fd00::1]',
    'db',
    'api.internal',
    'printer.local',
  ])('treats %s as internal', (host) => {
    expect(isInternalHost(host)).toBe(true);
  });
  it.each(['shop.example.com', 'api.bigcommerce.com', '93.184.216.34', '172.32.0.1', '[2606:4700::1111]'])('treats %s as public', (host) => {
    expect(isInternalHost(host)).toBe(false);
  });
});
