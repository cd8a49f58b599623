import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';

/**
 * SSRF guard for merchant-supplied webhook URLs. A merchant must never make IPAY call into its own network
 * (databases, cloud metadata, admin ports): every address a host resolves to is checked, at registration and
 * again on every delivery (the DNS answer may have changed: rebinding), and the connection is pinned to the
 * address that was checked.
 */

export type AddressClass = 'public' | 'loopback' | 'private' | 'link-local' | 'cgnat' | 'multicast' | 'unspecified' | 'reserved' | 'metadata';

/** Resolves a host to all its addresses (injectable in tests to simulate DNS answers). */
export type HostResolver = (host: string) => Promise<LookupAddress[]>;

export const systemResolver: HostResolver = (host) =>
  new Promise((resolve, reject) => dnsLookup(host, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))));

const v4 = (address: string): number[] | null => {
  const parts = address.split('.');
  if (parts.length !== 4) return null;
  const bytes = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  return bytes.every((b) => b >= 0 && b <= 255) ? bytes : null;
};

/** The 8 hextets of an IPv6 address (accepts `::` and a dotted IPv4 tail), or null. */
export function ipv6Hextets(address: string): number[] | null {
  let text = address.toLowerCase().replace(/%.*$/, '');
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const b = v4(tail[1]!);
    if (!b) return null;
    text = `${text.slice(0, -tail[1]!.length)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string) => (part ? part.split(':').map((h) => (/^[0-9a-f]{1,4}$/.test(h) ? Number.parseInt(h, 16) : NaN)) : []);
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  const fill = 8 - head.length - rest.length;
  if (halves.length === 1 ? head.length !== 8 : fill < 1) return null;
  const all = [...head, ...Array<number>(halves.length === 2 ? fill : 0).fill(0), ...rest];
  return all.every((h) => Number.isInteger(h) && h >= 0 && h <= 0xffff) ? all : null;
}

const inV4 = (b: number[], base: [number, number, number, number], bits: number) => {
  const value = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  const net = ((base[0] << 24) | (base[1] << 16) | (base[2] << 8) | base[3]) >>> 0;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return (value & mask) === (net & mask);
};

export function classifyIPv4(address: string): AddressClass {
  const b = v4(address);
  if (!b) return 'reserved';
  if (b.join('.') === '169.254.169.254' || b.join('.') === '100.100.100.200' || b.join('.') === '192.0.0.192') return 'metadata';
  if (inV4(b, [0, 0, 0, 0], 8)) return 'unspecified';
  if (inV4(b, [127, 0, 0, 0], 8)) return 'loopback';
  if (inV4(b, [10, 0, 0, 0], 8) || inV4(b, [172, 16, 0, 0], 12) || inV4(b, [192, 168, 0, 0], 16)) return 'private';
  if (inV4(b, [169, 254, 0, 0], 16)) return 'link-local';
  if (inV4(b, [100, 64, 0, 0], 10)) return 'cgnat';
  if (inV4(b, [224, 0, 0, 0], 4)) return 'multicast';
  // IETF protocol assignments, documentation, benchmarking, reserved and broadcast: never a merchant's server.
  if (
    inV4(b, [192, 0, 0, 0], 24) ||
    inV4(b, [192, 0, 2, 0], 24) ||
    inV4(b, [198, 18, 0, 0], 15) ||
    inV4(b, [198, 51, 100, 0], 24) ||
    inV4(b, [203, 0, 113, 0], 24) ||
    inV4(b, [240, 0, 0, 0], 4)
  )
    return 'reserved';
  return 'public';
}

export function classifyIPv6(address: string): AddressClass {
  const h = ipv6Hextets(address);
  if (!h) return 'reserved';
  const embeddedV4 = (i: number) => `${h[i]! >> 8}.${h[i]! & 0xff}.${h[i + 1]! >> 8}.${h[i + 1]! & 0xff}`;
  if (h.every((x) => x === 0)) return 'unspecified';
  if (h.slice(0, 7).every((x) => x === 0) && h[7] === 1) return 'loopback';
  // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96): judged by the IPv4 inside.
  if (h.slice(0, 5).every((x) => x === 0) && (h[5] === 0xffff || h[5] === 0)) return classifyIPv4(embeddedV4(6));
  if (h[0] === 0x64 && h[1] === 0xff9b && h.slice(2, 6).every((x) => x === 0)) return classifyIPv4(embeddedV4(6));
  // 6to4 (2002:V4ADDR::/48) carries an IPv4 address too.
  if (h[0] === 0x2002) return classifyIPv4(embeddedV4(1));
  if (h[0] === 0xfd00 && h[1] === 0x0ec2 && h.slice(2, 7).every((x) => x === 0) && h[7] === 0x254) return 'metadata'; // AWS IMDS over IPv6
  if ((h[0]! & 0xfe00) === 0xfc00) return 'private'; // unique local fc00::/7
  if ((h[0]! & 0xffc0) === 0xfe80 || (h[0]! & 0xffc0) === 0xfec0) return 'link-local';
  if ((h[0]! & 0xff00) === 0xff00) return 'multicast';
  if ((h[0] === 0x2001 && h[1] === 0x0db8) || (h[0] === 0x0100 && h.slice(1, 4).every((x) => x === 0))) return 'reserved';
  if ((h[0]! & 0xe000) !== 0x2000) return 'reserved'; // only global unicast 2000::/3 is on the internet
  return 'public';
}

export function classifyAddress(address: string): AddressClass {
  const family = isIP(address);
  if (family === 4) return classifyIPv4(address);
  if (family === 6) return classifyIPv6(address);
  return 'reserved';
}

/** Live endpoints may only reach the public internet; sandbox ones may also reach this machine (local testing). */
export const addressAllowed = (address: string, livemode: boolean) => {
  const kind = classifyAddress(address);
  return kind === 'public' || (!livemode && kind === 'loopback');
};

/** Host names that always mean a cloud metadata service, whatever they resolve to. */
const METADATA_HOSTS = new Set(['metadata', 'metadata.google.internal', 'metadata.goog', 'instance-data', 'instance-data.ec2.internal']);

export class UnsafeUrlError extends Error {}

export const MAX_URL_LENGTH = 2048;

/** Parses and checks a webhook URL's shape (scheme, credentials, host); the addresses are checked separately. */
export function parseWebhookUrl(raw: string, livemode: boolean): URL {
  const text = raw.trim();
  if (!text || text.length > MAX_URL_LENGTH) throw new UnsafeUrlError(`must be 1 to ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UnsafeUrlError('is not an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UnsafeUrlError('must use https');
  if (livemode && url.protocol !== 'https:') throw new UnsafeUrlError('must use https in live mode (http is allowed in the sandbox only)');
  if (url.username || url.password) throw new UnsafeUrlError('must not carry credentials; authenticate deliveries by their signature');
  if (url.hash) throw new UnsafeUrlError('must not have a #fragment');
  const host = hostOf(url);
  if (!host) throw new UnsafeUrlError('has no host');
  if (METADATA_HOSTS.has(host.toLowerCase().replace(/\.$/, ''))) throw new UnsafeUrlError('points at a cloud metadata service');
  return url;
}

/** The host without IPv6 brackets. */
export const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

/**
 * Every address the URL's host resolves to, refusing the URL if any is not allowed (an attacker controlling
 * DNS could otherwise mix a public and a private answer). Returns the checked addresses.
 */
export async function resolveAllowed(url: URL, livemode: boolean, resolve: HostResolver = systemResolver): Promise<LookupAddress[]> {
  const host = hostOf(url);
  const literal = isIP(host);
  let addresses: LookupAddress[];
  if (literal) addresses = [{ address: host, family: literal }];
  else {
    try {
      addresses = await resolve(host);
    } catch (error) {
      throw new UnsafeUrlError(`host ${host} does not resolve (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  }
  if (!addresses.length) throw new UnsafeUrlError(`host ${host} does not resolve`);
  for (const { address } of addresses) {
    if (!addressAllowed(address, livemode)) {
      const kind = classifyAddress(address);
      throw new UnsafeUrlError(
        `host ${host} resolves to ${address}, a ${kind} address${kind === 'loopback' ? ' (allowed for sandbox endpoints only)' : ''}: webhooks only go to the public internet`,
      );
    }
  }
  return addresses;
}
