import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ATTEMPTS, RETRY_SCHEDULE_MS, deliveryBody, retryDelayMs } from '../src/app/webhooks/dispatcher.ts';
import { normalizeEventTypes } from '../src/domain/webhooks.ts';
import { excerpt, postWebhook } from '../src/adapters/webhooks/http.ts';
import { decryptSecret, encryptSecret, generateWebhookSecret, webhookEncryptionKey, webhookHeaders } from '../src/adapters/webhooks/signing.ts';
import { UnsafeUrlError, classifyAddress, ipv6Hextets, parseWebhookUrl, resolveAllowed, type HostResolver } from '../src/adapters/webhooks/ssrf.ts';

const fixed =
  (...addresses: string[]): HostResolver =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

describe('SSRF address classification', () => {
  it.each([
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['169.254.169.254', 'metadata'],
    ['169.254.10.1', 'link-local'],
    ['100.64.0.1', 'cgnat'],
    ['100.100.100.200', 'metadata'],
    ['224.0.0.1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'reserved'],
    ['93.184.216.34', 'public'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:a00:1', 'private'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['2002:a00:1::', 'private'],
    ['fd00:ec2::254', 'metadata'],
    ['fc00::1', 'private'],
    ['fe80::1', 'link-local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['2606:4700:4700::1111', 'public'],
  ])('%s is %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });

  it('parses IPv6 forms, rejecting malformed ones', () => {
    expect(ipv6Hextets('::ffff:1.2.3.4')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]);
    expect(ipv6Hextets('1:2:3:4:5:6:7:8')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(ipv6Hextets('1::2::3')).toBeNull();
    expect(ipv6Hextets('1:2:3')).toBeNull();
  });
});

describe('webhook URL checks', () => {
  it('refuses http, credentials and metadata hosts in live mode, allows http in the sandbox', () => {
    expect(() => parseWebhookUrl('http://example.com/hook', true)).toThrow(/https/);
    expect(parseWebhookUrl('http://example.com/hook', false).href).toBe('http://example.com/hook');
    expect(() => parseWebhookUrl('https://user:pw@example.com/', true)).toThrow(/credentials/);
    expect(() => parseWebhookUrl('https://metadata.google.internal/', true)).toThrow(/metadata/);
    expect(() => parseWebhookUrl('ftp://example.com/', false)).toThrow(/https/);
    expect(() => parseWebhookUrl('not a url', false)).toThrow(UnsafeUrlError);
  });

  it('refuses a host when any of its addresses is not public; loopback only for sandbox endpoints', async () => {
    const url = new URL('https://hooks.example.com/ipay');
    await expect(resolveAllowed(url, true, fixed('93.184.216.34'))).resolves.toHaveLength(1);
    await expect(resolveAllowed(url, true, fixed('93.184.216.34', '10.0.0.1'))).rejects.toThrow(/10\.0\.0\.1, a private address/);
    await expect(resolveAllowed(url, true, fixed('127.0.0.1'))).rejects.toThrow(/loopback/);
    await expect(resolveAllowed(url, false, fixed('127.0.0.1', '::1'))).resolves.toHaveLength(2);
    await expect(resolveAllowed(url, false, fixed('10.0.0.1'))).rejects.toThrow(/private/);
    await expect(resolveAllowed(new URL('https://[::1]/'), true)).rejects.toThrow(/loopback/);
    await expect(resolveAllowed(new URL('https://169.254.169.254/latest/meta-data'), true)).rejects.toThrow(/metadata/);
    await expect(resolveAllowed(new URL('https://localhost/'), true)).rejects.toThrow(/loopback/);
    const failing: HostResolver = async () => {
      throw Object.assign(new Error('nope'), { code: 'ENOTFOUND' });
    };
    await expect(resolveAllowed(url, true, failing)).rejects.toThrow(/does not resolve \(ENOTFOUND\)/);
  });
});

describe('Standard Webhooks signing', () => {
  it('generates whsec_ secrets of 32 random bytes', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(secret);
  });

  it('signs so that the standardwebhooks library verifies, with each of two secrets during a rotation', () => {
    const [oldSecret, newSecret] = [generateWebhookSecret(), generateWebhookSecret()];
    const body = deliveryBody({ id: 'evt_1', type: 'order.created', occurredAt: '2026-01-01T00:00:00.000Z', livemode: false, payload: { order_id: 'ord_1' } });
    const headers = webhookHeaders([newSecret, oldSecret], 'evt_1', Math.floor(Date.now() / 1000), body);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(newSecret).verify(body, headers)).toEqual({
      type: 'order.created',
      id: 'evt_1',
      occurred_at: '2026-01-01T00:00:00.000Z',
      livemode: false,
      data: { order_id: 'ord_1' },
    });
    expect(new Webhook(oldSecret).verify(body, headers)).toBeTruthy();
    expect(() => new Webhook(generateWebhookSecret()).verify(body, headers)).toThrow();
    expect(() => new Webhook(newSecret).verify(`${body} `, headers)).toThrow();
  });

  it('encrypts secrets with AES-256-GCM bound to the endpoint id', () => {
    const key = webhookEncryptionKey(undefined);
    const secret = generateWebhookSecret();
    const stored = encryptSecret(key, secret, 'whe_1');
    expect(stored).not.toContain(secret.slice(6, 20));
    expect(decryptSecret(key, stored, 'whe_1')).toBe(secret);
    expect(() => decryptSecret(key, stored, 'whe_2')).toThrow();
    expect(() => decryptSecret(webhookEncryptionKey('11'.repeat(32)), stored, 'whe_1')).toThrow();
    const previous = process.env.IPAY_ENV;
    process.env.IPAY_ENV = 'production';
    try {
      expect(() => webhookEncryptionKey(undefined)).toThrow(/WEBHOOK_SECRET_ENCRYPTION_KEY/);
    } finally {
      process.env.IPAY_ENV = previous;
    }
    expect(() => webhookEncryptionKey('short')).toThrow(/32 bytes/);
  });
});

describe('retries and inputs', () => {
  it('retries over about three days with jitter, then gives up', () => {
    const total = RETRY_SCHEDULE_MS.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(3 * 86_400_000);
    expect(total).toBeLessThan(4 * 86_400_000);
    expect(MAX_ATTEMPTS).toBe(10);
    expect(retryDelayMs(1, () => 0)).toBe(5_000);
    expect(retryDelayMs(1, () => 1)).toBe(6_000);
    expect(retryDelayMs(MAX_ATTEMPTS)).toBeNull();
  });

  it('validates event types against the catalogue', () => {
    expect(normalizeEventTypes(['release.authorized', 'order.created', 'order.created'], 'f')).toEqual(['order.created', 'release.authorized']);
    expect(normalizeEventTypes(['order.created', '*'], 'f')).toEqual(['*']);
    expect(() => normalizeEventTypes([], 'f')).toThrow(/at least one/);
    expect(() => normalizeEventTypes(['order.nope'], 'f')).toThrow(/unknown event type "order.nope"/);
  });

  it('keeps at most 1 KiB of a response, without splitting characters', () => {
    expect(Buffer.byteLength(excerpt(Buffer.from('é'.repeat(2000))))).toBeLessThanOrEqual(1024);
    expect(excerpt(Buffer.from('ok'))).toBe('ok');
  });
});

describe('sending', () => {
  let server: Server;
  let port: number;
  const received: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      received.push(req.url!);
      if (req.url === '/slow') return void setTimeout(() => res.end('late'), 2000);
      res.writeHead(req.url === '/fail' ? 503 : 200).end('x'.repeat(5000));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const send = (url: string, livemode = false, resolve: HostResolver = fixed('127.0.0.1'), timeoutMs = 1000) =>
    postWebhook({ url, livemode, headers: {}, body: '{}', timeoutMs, resolve });

  it('posts to a sandbox loopback receiver and keeps a 1 KiB excerpt', async () => {
    const ok = await send(`http://receiver.test:${port}/ok`);
    expect(ok).toMatchObject({ statusCode: 200, error: null });
    expect(ok.responseExcerpt).toHaveLength(1024);
    expect((await send(`http://receiver.test:${port}/fail`)).statusCode).toBe(503);
  });

  it('times out a slow receiver', async () => {
    const slow = await send(`http://127.0.0.1:${port}/slow`, false, fixed('127.0.0.1'), 200);
    expect(slow).toMatchObject({ statusCode: null, error: 'timed out after 200 ms' });
  });

  it('checks the DNS answer again at delivery (rebinding) and never connects to a refused address', async () => {
    const before = received.length;
    const rebound = await send(`https://hooks.example.com:${port}/ok`, true, fixed('127.0.0.1'));
    expect(rebound.statusCode).toBeNull();
    expect(rebound.error).toMatch(/refused: url host hooks.example.com resolves to 127.0.0.1, a loopback address/);
    const literal = await send('https://10.0.0.1/hook', true);
    expect(literal.error).toMatch(/private address/);
    expect(received.length).toBe(before);
  });
});
