import { randomInt } from 'node:crypto';

/**
 * IPAY references: `IPAY-XXXX-XXXX-C`, eight random Crockford base32 characters and one check character
 * (Luhn mod 32). Any single mistyped character or swap of neighbours changes the check, so a typo is
 * rejected instead of matching someone else's session. Crockford's alphabet leaves out I, L, O and U,
 * and reading accepts the look-alikes people type for them.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const BODY_LENGTH = 8;

function checkCharacter(body: string): string {
  let sum = 0;
  let factor = 2;
  for (let i = body.length - 1; i >= 0; i -= 1) {
    let addend = factor * ALPHABET.indexOf(body[i]!);
    addend = Math.floor(addend / 32) + (addend % 32);
    sum += addend;
    factor = factor === 2 ? 1 : 2;
  }
  return ALPHABET[(32 - (sum % 32)) % 32]!;
}

function format(body: string): string {
  return `IPAY-${body.slice(0, 4)}-${body.slice(4)}-${checkCharacter(body)}`;
}

export function newPaymentReference(random: (max: number) => number = randomInt): string {
  let body = '';
  for (let i = 0; i < BODY_LENGTH; i += 1) body += ALPHABET[random(32)];
  return format(body);
}

/** A reference built from a seed number (sandbox data must be the same on every start). */
export function paymentReferenceFromNumber(n: bigint): string {
  let body = '';
  for (let i = 0; i < BODY_LENGTH; i += 1) {
    body = ALPHABET[Number(n % 32n)] + body;
    n /= 32n;
  }
  return format(body);
}

export type ParsedReference = { ok: true; reference: string } | { ok: false; reason: string };

/** Normalises what a person typed (case, spaces, dashes, look-alikes) and verifies the check character. */
export function parsePaymentReference(input: string): ParsedReference {
  const compact = input.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  const withoutPrefix = compact.startsWith('1PAY') || compact.startsWith('IPAY') ? compact.slice(4) : compact;
  if (withoutPrefix.length !== BODY_LENGTH + 1) return { ok: false, reason: 'an IPAY reference has 8 characters and a check character, e.g. IPAY-7K3M-Q9XD-4' };
  if ([...withoutPrefix].some((c) => !ALPHABET.includes(c))) return { ok: false, reason: 'contains a character that is not used in IPAY references' };
  const body = withoutPrefix.slice(0, BODY_LENGTH);
  if (checkCharacter(body) !== withoutPrefix[BODY_LENGTH]) return { ok: false, reason: 'check character does not match: the reference is mistyped' };
  return { ok: true, reference: format(body) };
}
