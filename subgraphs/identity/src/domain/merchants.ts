import { assertCountry, assertCurrency, badUserInput } from '@ipay/platform';

/** Merchant input rules (pure); creating and transitioning merchants is app/merchants.ts. */

export const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$/;

export interface NewMerchant {
  slug: string;
  name: string;
  country: string;
  defaultCurrency: string;
}

/** A new merchant's fields, trimmed and checked (BAD_USER_INPUT on the first field that is wrong). */
export function parseNewMerchant(input: NewMerchant): NewMerchant {
  const slug = input.slug.trim();
  if (!SLUG.test(slug)) throw badUserInput('input.slug', 'use 1-50 lower-case letters, digits and dashes, not starting or ending with a dash');
  const name = input.name.trim();
  if (name.length < 2 || name.length > 200) throw badUserInput('input.name', 'must be 2 to 200 characters');
  const country = assertCountry(input.country.trim().toUpperCase(), 'input.country');
  const defaultCurrency = assertCurrency(input.defaultCurrency.trim().toUpperCase(), 'input.defaultCurrency');
  return { slug, name, country, defaultCurrency };
}
