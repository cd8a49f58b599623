/**
 * Locales are BCP 47 `language` or `language-REGION` tags (the region is the market: nl-BE is Dutch for
 * Belgium). Fallback goes from the most specific to the platform's base language:
 * `nl-BE → nl → en`, and within each locale the merchant's own template before the platform default.
 */
export const BASE_LOCALE = 'en';

const LOCALE = /^[a-z]{2,3}(-[A-Z]{2})?$/;

/** The canonical form of a locale (`NL-be` → `nl-BE`), or null when it is not a language[-REGION] tag. */
export function canonicalLocale(input: string): string | null {
  let canonical: string;
  try {
    [canonical = ''] = Intl.getCanonicalLocales(input.trim());
  } catch {
    return null;
  }
  return LOCALE.test(canonical) ? canonical : null;
}

/** `nl-BE` → `['nl-BE', 'nl', 'en']`; `en-GB` → `['en-GB', 'en']`; `en` → `['en']`. */
export function localeChain(locale: string): string[] {
  const chain = [locale];
  const language = locale.split('-')[0]!;
  if (language !== locale) chain.push(language);
  if (language !== BASE_LOCALE) chain.push(BASE_LOCALE);
  return chain;
}

export type TemplateOwner = { merchantId: string } | 'platform';

/** Where a render looks, in order: for each locale of the chain, the merchant's template, then the platform's. */
export function fallbackChain(locale: string, merchantId: string | null): { locale: string; owner: TemplateOwner }[] {
  return localeChain(locale).flatMap((l) => [
    ...(merchantId ? [{ locale: l, owner: { merchantId } as TemplateOwner }] : []),
    { locale: l, owner: 'platform' as const },
  ]);
}

/**
 * The best locale for an `Accept-Language` header among those with templates: exact tag, then its language, by
 * the header's q-values; null when the header names none of them.
 */
export function negotiateLocale(acceptLanguage: string | null | undefined, available: readonly string[]): string | null {
  if (!acceptLanguage) return null;
  const wanted = acceptLanguage
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { tag: canonicalLocale(tag), q: q === undefined ? 1 : Number(q), index };
    })
    .filter((w): w is { tag: string; q: number; index: number } => !!w.tag && w.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  const set = new Set(available);
  for (const { tag } of wanted) {
    if (set.has(tag)) return tag;
    const language = tag.split('-')[0]!;
    // A region we have no templates for still renders in its language (nl-BE through nl).
    if (set.has(language)) return tag;
  }
  return null;
}
