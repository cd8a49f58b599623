import { badUserInput, type Authorization } from '@ipay/platform';
import { messageKeySpec, type MessageKeySpec } from './keys.ts';
import { canonicalLocale } from './locales.ts';

/** Locale and message-key arguments as the API takes them, and who may read templates (pure). */

export function parseLocale(input: string, field = 'locale'): string {
  const locale = canonicalLocale(input);
  if (!locale) throw badUserInput(field, `"${input}" is not a language or language-REGION locale (e.g. nl, nl-BE)`);
  return locale;
}

export function parseKey(input: string, field = 'key'): MessageKeySpec {
  const spec = messageKeySpec(input.trim());
  if (!spec) throw badUserInput(field, `"${input}" is not a message key (see messageKeys)`);
  return spec;
}

/** Reading templates: a merchant's own need localization:read over it; platform defaults any localization:read. */
export function requireRead(auth: Authorization, merchantId: string | null | undefined): void {
  if (merchantId) auth.requireMerchant('localization:read', merchantId);
  else auth.require('localization:read');
}
