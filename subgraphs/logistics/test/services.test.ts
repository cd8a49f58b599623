import { afterEach, describe, expect, it, vi } from 'vitest';
import { releaseSealer, createServices } from '../src/app/services.ts';

describe('release code sealing (AES-256-GCM)', () => {
  const sealer = releaseSealer('a-test-secret-of-at-least-32-bytes!!');

  it('round-trips, with a fresh IV every time', () => {
    const a = sealer.seal('042917', 'rel_1');
    const b = sealer.seal('042917', 'rel_1');
    expect(a).not.toBe(b);
    expect(a).not.toContain('042917');
    expect(sealer.open(a, 'rel_1')).toBe('042917');
  });

  it('refuses a tampered ciphertext, another row’s context and another key', () => {
    const sealed = sealer.seal('042917', 'rel_1');
    const parts = sealed.split('.');
    const tampered = [...parts.slice(0, 3), Buffer.from('999999').toString('base64url')].join('.');
    expect(() => sealer.open(tampered, 'rel_1')).toThrow();
    expect(() => sealer.open(sealed, 'rel_2')).toThrow();
    expect(() => releaseSealer('another-test-secret-of-32-bytes-or-more').open(sealed, 'rel_1')).toThrow();
    expect(() => releaseSealer('short')).toThrow(/32 bytes/);
  });
});

describe('logistics configuration', () => {
  afterEach(() => vi.unstubAllEnvs());
  // Without event consumption the services never touch the database.
  const start = (config: Record<string, unknown>) =>
    createServices({} as never, { database: { kind: 'postgres', url: 'postgres://unused' }, config: { consumeEvents: false, ...config } }, console as never);

  it('refuses development secrets in production', async () => {
    vi.stubEnv('IPAY_ENV', 'production');
    await expect(start({})).rejects.toThrow(/LOGISTICS_WEBHOOK_SECRETS lacks ups/);
  });

  it('refuses a release lifetime outside 60 s to 30 days', async () => {
    await expect(start({ releaseTtlSeconds: 5 })).rejects.toThrow(/RELEASE_TTL_SECONDS/);
    const services = await start({ releaseTtlSeconds: 3600 });
    expect(services.releaseTtlSeconds).toBe(3600);
    await services.close();
  });
});
