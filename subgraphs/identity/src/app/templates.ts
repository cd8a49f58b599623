import { and, asc, desc, eq, inArray, isNull, or, type SQL } from 'drizzle-orm';
import { forbidden, newId, notFound, type Authorization, type Database, type UnitOfWork } from '@ipay/platform';
import { merchants, messageTemplateVersions, messageTemplates, type MessageTemplateRow } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';
import {
  MESSAGE_KEYS,
  PLATFORM_DEFAULT_TEMPLATES,
  localeChain,
  messageKeySpec,
  missingKeys,
  renderMessage,
  validateTemplate,
  type MessageValues,
  type StoredTemplate,
  type TemplateOwner,
} from '../domain/localization/index.ts';
import { parseKey, parseLocale, requireRead } from '../domain/localization/input.ts';

export { parseKey, parseLocale, requireRead } from '../domain/localization/input.ts';

type Db = Database<typeof schema>;
type Uow = UnitOfWork<typeof schema>;

/** Which templates a render for a merchant in a mode sees: the merchant's own (in that mode) and the platform's. */
function ownersCondition(merchantId: string | null, livemode: boolean): SQL {
  const platform = isNull(messageTemplates.merchantId);
  return merchantId ? or(platform, and(eq(messageTemplates.merchantId, merchantId), eq(messageTemplates.livemode, livemode)))! : platform;
}

const ownerOf = (row: { merchantId: string | null }): string => row.merchantId ?? 'platform';
const ownerKey = (owner: TemplateOwner) => (owner === 'platform' ? 'platform' : owner.merchantId);

/** The latest version of every template on the owners and locales asked for, as a lookup. */
export async function loadLatest(db: Db, merchantId: string | null, livemode: boolean, locales: readonly string[], keys?: readonly string[]) {
  const rows = await db
    .select({
      merchantId: messageTemplates.merchantId,
      locale: messageTemplates.locale,
      key: messageTemplates.key,
      version: messageTemplateVersions.version,
      message: messageTemplateVersions.message,
    })
    .from(messageTemplates)
    .innerJoin(
      messageTemplateVersions,
      and(eq(messageTemplateVersions.templateId, messageTemplates.id), eq(messageTemplateVersions.version, messageTemplates.latestVersion)),
    )
    .where(
      and(
        ownersCondition(merchantId, livemode),
        inArray(messageTemplates.locale, [...new Set(locales)]),
        keys ? inArray(messageTemplates.key, [...keys]) : undefined,
      ),
    );
  const byKey = new Map<string, StoredTemplate>(rows.map((r) => [`${ownerOf(r)}|${r.locale}|${r.key}`, r]));
  return {
    find: (owner: TemplateOwner, locale: string, key: string) => byKey.get(`${ownerKey(owner)}|${locale}|${key}`),
    has: (owner: TemplateOwner, locale: string, key: string) => byKey.has(`${ownerKey(owner)}|${locale}|${key}`),
  };
}

/** Renders one key for a merchant (or the platform) in a mode and locale, down the fallback chain. */
export async function render(db: Db, args: { merchantId: string | null; livemode: boolean; locale: string; key: string; values: MessageValues }) {
  const spec = parseKey(args.key);
  const templates = await loadLatest(db, args.merchantId, args.livemode, localeChain(args.locale), [spec.key]);
  return renderMessage(spec, args.locale, args.merchantId, args.values, templates.find);
}

/** Renders several keys in one statement (consumer screens). */
export async function renderMany(
  db: Db,
  args: { merchantId: string | null; livemode: boolean; locale: string; messages: { key: string; values: MessageValues }[] },
) {
  const templates = await loadLatest(
    db,
    args.merchantId,
    args.livemode,
    localeChain(args.locale),
    args.messages.map((m) => m.key),
  );
  return args.messages.map((m) => renderMessage(parseKey(m.key), args.locale, args.merchantId, m.values, templates.find));
}

/** Every locale that has at least one template for these owners (the platform defaults' and the merchant's). */
export async function knownLocales(db: Db, merchantId: string | null, livemode: boolean): Promise<string[]> {
  const rows = await db
    .selectDistinct({ locale: messageTemplates.locale })
    .from(messageTemplates)
    .where(ownersCondition(merchantId, livemode))
    .orderBy(asc(messageTemplates.locale));
  return rows.map((r) => r.locale);
}

/** The required keys each locale lacks (default: every locale that has templates), against MESSAGE_KEYS. */
export async function missingReport(db: Db, merchantId: string | null, livemode: boolean, locales: readonly string[] | null) {
  const asked = locales ?? (await knownLocales(db, merchantId, livemode));
  const chainLocales = asked.flatMap(localeChain);
  const templates = await loadLatest(db, merchantId, livemode, chainLocales);
  return missingKeys(MESSAGE_KEYS, asked, merchantId, templates.has);
}

export interface PublishInput {
  merchantId?: string | null;
  locale: string;
  key: string;
  message: string;
}

/**
 * Publishes a new version of a template (creating the template at version 1). Earlier versions stay readable.
 * A merchant's templates need localization:manage over it and live in the caller's mode; platform defaults need
 * localization:manage over all data.
 */
export async function publishTemplate(uow: Uow, auth: Authorization, input: PublishInput): Promise<MessageTemplateRow> {
  const merchantId = input.merchantId?.trim() || null;
  if (merchantId) auth.requireMerchant('localization:manage', merchantId);
  else if (auth.require('localization:manage').kind !== 'ALL')
    throw forbidden('platform default templates need localization:manage over all data (platform operators)');
  const locale = parseLocale(input.locale, 'input.locale');
  const spec = parseKey(input.key, 'input.key');
  validateTemplate(spec, locale, input.message, 'input.message');
  if (merchantId) {
    const [merchant] = await uow.tx.select({ id: merchants.id }).from(merchants).where(eq(merchants.id, merchantId));
    if (!merchant) throw notFound('Merchant', merchantId);
  }
  const livemode = merchantId ? auth.livemode : null;
  const principal = auth.requirePrincipal();
  await uow.tx
    .insert(messageTemplates)
    .values({ id: newId('mtp'), merchantId, livemode, locale, key: spec.key, category: spec.category, latestVersion: 0 })
    .onConflictDoNothing();
  // The row lock serialises concurrent publishers: each gets the next version number.
  const [current] = await uow.tx
    .select()
    .from(messageTemplates)
    .where(
      and(
        merchantId ? and(eq(messageTemplates.merchantId, merchantId), eq(messageTemplates.livemode, livemode!)) : isNull(messageTemplates.merchantId),
        eq(messageTemplates.locale, locale),
        eq(messageTemplates.key, spec.key),
      ),
    )
    .for('update');
  const version = current!.latestVersion + 1;
  await uow.tx.insert(messageTemplateVersions).values({ templateId: current!.id, version, message: input.message, publishedBy: principal.id });
  const [updated] = await uow.tx
    .update(messageTemplates)
    .set({ latestVersion: version, updatedAt: new Date() })
    .where(eq(messageTemplates.id, current!.id))
    .returning();
  uow.audit({
    action: 'message_template.publish',
    entityType: 'MessageTemplate',
    entityId: current!.id,
    merchantId,
    before: current!.latestVersion ? { version: current!.latestVersion } : null,
    after: { locale, key: spec.key, version, message: input.message },
  });
  return updated!;
}

/** The templates a caller may read, filtered. */
export async function listTemplates(db: Db, auth: Authorization, filter: { merchantId?: string | null; locale?: string | null; key?: string | null }) {
  const merchantId = filter.merchantId?.trim() || null;
  requireRead(auth, merchantId);
  return db
    .select()
    .from(messageTemplates)
    .where(
      and(
        merchantId ? and(eq(messageTemplates.merchantId, merchantId), eq(messageTemplates.livemode, auth.livemode)) : isNull(messageTemplates.merchantId),
        filter.locale ? eq(messageTemplates.locale, parseLocale(filter.locale)) : undefined,
        filter.key ? eq(messageTemplates.key, parseKey(filter.key).key) : undefined,
      ),
    )
    .orderBy(asc(messageTemplates.key), asc(messageTemplates.locale));
}

export async function getTemplate(db: Db, auth: Authorization, args: { merchantId?: string | null; locale: string; key: string }) {
  const [row] = await listTemplates(db, auth, args);
  if (!row) throw notFound('MessageTemplate', `${args.merchantId ?? 'platform'}/${args.locale}/${args.key}`);
  return row;
}

export async function templateVersions(db: Db, templateIds: readonly string[]) {
  return db
    .select()
    .from(messageTemplateVersions)
    .where(inArray(messageTemplateVersions.templateId, [...templateIds]))
    .orderBy(asc(messageTemplateVersions.templateId), desc(messageTemplateVersions.version));
}

export const PLATFORM_DEFAULTS_PUBLISHER = 'system:platform-defaults';

/**
 * Writes the code's platform default templates that the database lacks (version 1); it never touches a template
 * that exists, so versions published through the API stay the latest.
 */
export async function ensurePlatformDefaults(db: Db): Promise<number> {
  const defaults = Object.entries(PLATFORM_DEFAULT_TEMPLATES).flatMap(([locale, texts]) =>
    Object.entries(texts).map(([key, message]) => ({
      id: `mtp_default_${locale}_${key.replaceAll('.', '_')}`,
      locale,
      key,
      message,
      category: messageKeySpec(key)!.category,
    })),
  );
  // Two statements whatever the number of defaults (start-up time on the embedded database).
  return db.transaction(async (tx) => {
    const inserted = await tx
      .insert(messageTemplates)
      .values(defaults.map((d) => ({ id: d.id, merchantId: null, livemode: null, locale: d.locale, key: d.key, category: d.category, latestVersion: 1 })))
      .onConflictDoNothing()
      .returning({ id: messageTemplates.id });
    const fresh = new Set(inserted.map((r) => r.id));
    const versions = defaults
      .filter((d) => fresh.has(d.id))
      .map((d) => ({ templateId: d.id, version: 1, message: d.message, publishedBy: PLATFORM_DEFAULTS_PUBLISHER }));
    if (versions.length) await tx.insert(messageTemplateVersions).values(versions);
    return versions.length;
  });
}
