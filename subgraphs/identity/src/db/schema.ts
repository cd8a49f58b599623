import { sql } from 'drizzle-orm';
import { boolean, char, check, index, integer, jsonb, pgSchema, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { auditTables, outboxTable } from '@ipay/platform';

export const identitySchema = pgSchema('identity');

const ts = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });

export const onboardingStatus = identitySchema.enum('onboarding_status', ['LEAD', 'KYC_PENDING', 'ACTIVE', 'SUSPENDED', 'CLOSED']);

export const merchants = identitySchema.table(
  'merchants',
  {
    id: text('id').primaryKey(),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    country: char('country', { length: 2 }).notNull(),
    defaultCurrency: char('default_currency', { length: 3 }).notNull(),
    onboardingStatus: onboardingStatus('onboarding_status').notNull().default('LEAD'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('merchants_slug_key').on(t.slug)],
);

export const users = identitySchema.table(
  'users',
  {
    id: text('id').primaryKey(),
    email: text('email').notNull(),
    name: text('name').notNull(),
    /** scrypt, `scrypt$N$r$p$salt$hash`; never the password. */
    passwordHash: text('password_hash').notNull(),
    /** Platform staff; only they may hold platform-only permissions. */
    isOperator: boolean('is_operator').notNull().default(false),
    createdAt: ts('created_at').notNull().defaultNow(),
    disabledAt: ts('disabled_at'),
  },
  (t) => [uniqueIndex('users_email_key').on(sql`lower(${t.email})`)],
);

export const partnerKind = identitySchema.enum('partner_kind', ['CARRIER', 'PSP', 'MARKETPLACE']);

/** Carriers, PSPs and marketplaces that call IPAY with credentials of their own. */
export const partners = identitySchema.table('partners', {
  id: text('id').primaryKey(),
  kind: partnerKind('kind').notNull(),
  name: text('name').notNull(),
  /** For carriers: the carrier whose shipments the partner reaches. */
  carrierCode: text('carrier_code'),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export const roles = identitySchema.table(
  'roles',
  {
    id: text('id').primaryKey(),
    /** Null for built-in roles; a merchant's custom roles carry its id. */
    merchantId: text('merchant_id').references(() => merchants.id),
    key: text('key').notNull(),
    name: text('name').notNull(),
    permissions: text('permissions').array().notNull(),
    builtIn: boolean('built_in').notNull().default(false),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('roles_merchant_key').on(sql`coalesce(${t.merchantId}, '')`, t.key)],
);

export const scopeKind = identitySchema.enum('scope_kind', ['MERCHANTS', 'CARRIERS', 'ALL']);
export const grantee = identitySchema.enum('grantee', ['USER', 'API_KEY']);

/** A role held with a data scope; a principal's permissions are the union over its assignments. */
export const roleAssignments = identitySchema.table(
  'role_assignments',
  {
    id: text('id').primaryKey(),
    granteeKind: grantee('grantee_kind').notNull(),
    granteeId: text('grantee_id').notNull(),
    roleId: text('role_id')
      .notNull()
      .references(() => roles.id),
    scopeKind: scopeKind('scope_kind').notNull(),
    merchantIds: text('merchant_ids')
      .array()
      .notNull()
      .default(sql`'{}'`),
    carrierCodes: text('carrier_codes')
      .array()
      .notNull()
      .default(sql`'{}'`),
    createdAt: ts('created_at').notNull().defaultNow(),
    revokedAt: ts('revoked_at'),
  },
  (t) => [index('role_assignments_grantee_idx').on(t.granteeKind, t.granteeId)],
);

export const keyOwner = identitySchema.enum('key_owner', ['MERCHANT', 'PARTNER', 'PLATFORM']);

export const apiKeys = identitySchema.table(
  'api_keys',
  {
    id: text('id').primaryKey(),
    ownerKind: keyOwner('owner_kind').notNull(),
    merchantId: text('merchant_id').references(() => merchants.id),
    partnerId: text('partner_id').references(() => partners.id),
    name: text('name').notNull(),
    livemode: boolean('livemode').notNull(),
    /** The visible start of the key (`ipk_test_AbCdEfGh`), unique: how a presented key is found. */
    prefix: text('prefix').notNull(),
    /** HMAC-SHA256 of the whole key with the server's pepper; the key itself is shown once and never stored. */
    secretHash: text('secret_hash').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    lastUsedAt: ts('last_used_at'),
    expiresAt: ts('expires_at'),
    revokedAt: ts('revoked_at'),
    /** Set on the old key when it is rotated; it stays valid until its (grace) expiry. */
    replacedById: text('replaced_by_id'),
  },
  (t) => [
    uniqueIndex('api_keys_prefix_key').on(t.prefix),
    index('api_keys_merchant_idx').on(t.merchantId),
    check('api_keys_owner', sql`(${t.ownerKind} = 'MERCHANT') = (${t.merchantId} is not null) and (${t.ownerKind} = 'PARTNER') = (${t.partnerId} is not null)`),
  ],
);

/** A user's login; its tokens die with it (logout revokes). */
export const sessions = identitySchema.table('sessions', {
  id: text('id').primaryKey(),
  userId: text('user_id')
    .notNull()
    .references(() => users.id),
  livemode: boolean('livemode').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  expiresAt: ts('expires_at').notNull(),
  revokedAt: ts('revoked_at'),
});

export const crmSyncStatus = identitySchema.enum('crm_sync_status', ['PENDING', 'SUCCEEDED', 'FAILED']);

/** Queue of merchant snapshots to push to the CRM, written in the transaction of the change. */
export const crmSyncJobs = identitySchema.table(
  'crm_sync_jobs',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id')
      .notNull()
      .references(() => merchants.id),
    snapshot: jsonb('snapshot').notNull(),
    status: crmSyncStatus('status').notNull().default('PENDING'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: ts('next_attempt_at').notNull().defaultNow(),
    lastError: text('last_error'),
    createdAt: ts('created_at').notNull().defaultNow(),
    completedAt: ts('completed_at'),
  },
  (t) => [index('crm_sync_jobs_due_idx').on(t.status, t.nextAttemptAt)],
);

/** What the sandbox CRM adapter "synced": the record a real CRM would now hold. */
export const crmSandboxRecords = identitySchema.table('crm_sandbox_records', {
  merchantId: text('merchant_id').primaryKey(),
  payload: jsonb('payload').notNull(),
  syncedAt: ts('synced_at').notNull(),
  syncCount: integer('sync_count').notNull().default(1),
});

export const webhookEndpointStatus = identitySchema.enum('webhook_endpoint_status', ['ENABLED', 'DISABLED']);

/** A merchant's URL that receives its events (Standard Webhooks); one livemode, like every merchant-owned row. */
export const webhookEndpoints = identitySchema.table(
  'webhook_endpoints',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id')
      .notNull()
      .references(() => merchants.id),
    livemode: boolean('livemode').notNull(),
    url: text('url').notNull(),
    description: text('description'),
    /** Catalogue event types, or `*` for all. */
    eventTypes: text('event_types').array().notNull(),
    status: webhookEndpointStatus('status').notNull().default('ENABLED'),
    /** The signing secret, AES-256-GCM encrypted (it is needed in clear to sign, so it cannot be hashed). */
    secretCiphertext: text('secret_ciphertext').notNull(),
    /** After a rotation the old secret keeps signing alongside the new one until `previousSecretExpiresAt`. */
    previousSecretCiphertext: text('previous_secret_ciphertext'),
    previousSecretExpiresAt: ts('previous_secret_expires_at'),
    /** The first failed attempt since the last success; cleared by a success. Drives automatic disabling. */
    failingSince: ts('failing_since'),
    lastSuccessAt: ts('last_success_at'),
    disabledAt: ts('disabled_at'),
    disabledReason: text('disabled_reason'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    /** Deleted endpoints keep their delivery history but receive nothing more. */
    deletedAt: ts('deleted_at'),
  },
  (t) => [index('webhook_endpoints_merchant_idx').on(t.merchantId, t.livemode)],
);

export const webhookDeliveryStatus = identitySchema.enum('webhook_delivery_status', ['PENDING', 'SUCCEEDED', 'FAILED', 'CANCELED']);

/** One event on its way to one endpoint; retried with backoff until it succeeds or gives up. */
export const webhookDeliveries = identitySchema.table(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id),
    merchantId: text('merchant_id').notNull(),
    livemode: boolean('livemode').notNull(),
    /** The event id: sent as `webhook-id`, the same on every retry and replay, so receivers deduplicate on it. */
    eventId: text('event_id').notNull(),
    eventType: text('event_type').notNull(),
    occurredAt: ts('occurred_at').notNull(),
    /** The exact JSON body, fixed at fan-out so every attempt signs and sends the same bytes. */
    body: text('body').notNull(),
    /** A manual re-send of an event already delivered (or attempted) to this endpoint. */
    replay: boolean('replay').notNull().default(false),
    status: webhookDeliveryStatus('status').notNull().default('PENDING'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: ts('next_attempt_at').notNull().defaultNow(),
    lastAttemptAt: ts('last_attempt_at'),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    createdAt: ts('created_at').notNull().defaultNow(),
    completedAt: ts('completed_at'),
  },
  (t) => [
    // Fan-out is at least once: an event is turned into one (non-replay) delivery per endpoint, however often it arrives.
    uniqueIndex('webhook_deliveries_endpoint_event_key')
      .on(t.endpointId, t.eventId)
      .where(sql`not ${t.replay}`),
    index('webhook_deliveries_due_idx').on(t.status, t.nextAttemptAt),
    index('webhook_deliveries_endpoint_idx').on(t.endpointId, t.createdAt),
  ],
);

/** Every HTTP attempt of a delivery, for the merchant's delivery log. */
export const webhookAttempts = identitySchema.table(
  'webhook_attempts',
  {
    id: text('id').primaryKey(),
    deliveryId: text('delivery_id')
      .notNull()
      .references(() => webhookDeliveries.id),
    endpointId: text('endpoint_id').notNull(),
    attemptNumber: integer('attempt_number').notNull(),
    attemptedAt: ts('attempted_at').notNull(),
    url: text('url').notNull(),
    /** Null when no HTTP response came back (timeout, refused address, connection error). */
    statusCode: integer('status_code'),
    succeeded: boolean('succeeded').notNull(),
    latencyMs: integer('latency_ms').notNull(),
    /** At most 1 KiB of the response body. */
    responseExcerpt: text('response_excerpt'),
    error: text('error'),
  },
  (t) => [index('webhook_attempts_delivery_idx').on(t.deliveryId, t.attemptNumber)],
);

/** Messages to a merchant's owners (e.g. an endpoint was disabled); an email transport would send these. */
export const merchantNotifications = identitySchema.table(
  'merchant_notifications',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id')
      .notNull()
      .references(() => merchants.id),
    livemode: boolean('livemode').notNull(),
    kind: text('kind').notNull(),
    subject: text('subject').notNull(),
    message: text('message').notNull(),
    entityType: text('entity_type'),
    entityId: text('entity_id'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('merchant_notifications_merchant_idx').on(t.merchantId, t.createdAt)],
);

export const { auditLog, auditHead } = auditTables(identitySchema);
export const outbox = outboxTable(identitySchema);

export type MerchantRow = typeof merchants.$inferSelect;
export type UserRow = typeof users.$inferSelect;
export type PartnerRow = typeof partners.$inferSelect;
export type RoleRow = typeof roles.$inferSelect;
export type RoleAssignmentRow = typeof roleAssignments.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type SessionRow = typeof sessions.$inferSelect;
export type CrmSyncJobRow = typeof crmSyncJobs.$inferSelect;
export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
export type WebhookAttemptRow = typeof webhookAttempts.$inferSelect;

// ---------------------------------------------------------------------------------------------------------------
// Localization (src/domain/localization, src/app/templates.ts): message templates per owner (a merchant, or the platform default), mode,
// locale and key, each published as numbered versions that are never changed afterwards.
// ---------------------------------------------------------------------------------------------------------------

export const messageTemplates = identitySchema.table(
  'message_templates',
  {
    id: text('id').primaryKey(),
    /** Null for the platform default (then also without mode: defaults serve sandbox and live). */
    merchantId: text('merchant_id').references(() => merchants.id),
    livemode: boolean('livemode'),
    /** BCP 47 language[-REGION]: nl, nl-BE. */
    locale: text('locale').notNull(),
    key: text('key').notNull(),
    category: text('category', { enum: ['PAYMENT', 'NOTIFICATION', 'SUPPORT'] }).notNull(),
    latestVersion: integer('latest_version').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('message_templates_platform_key')
      .on(t.locale, t.key)
      .where(sql`${t.merchantId} is null`),
    uniqueIndex('message_templates_merchant_key')
      .on(t.merchantId, t.livemode, t.locale, t.key)
      .where(sql`${t.merchantId} is not null`),
    check('message_templates_owner_mode', sql`(${t.merchantId} is null) = (${t.livemode} is null)`),
  ],
);

export const messageTemplateVersions = identitySchema.table(
  'message_template_versions',
  {
    templateId: text('template_id')
      .notNull()
      .references(() => messageTemplates.id),
    version: integer('version').notNull(),
    message: text('message').notNull(),
    publishedAt: ts('published_at').notNull().defaultNow(),
    /** The principal (or `system:platform-defaults`) that published it; the audit trail has the rest. */
    publishedBy: text('published_by').notNull(),
  },
  (t) => [primaryKey({ columns: [t.templateId, t.version] })],
);

export type MessageTemplateRow = typeof messageTemplates.$inferSelect;
export type MessageTemplateVersionRow = typeof messageTemplateVersions.$inferSelect;

// ---------------------------------------------------------------------------------------------------------------
// Consumer access (src/domain/consumer.ts, src/app/consumer-*.ts): order-scoped consumer tokens. Identity keeps a projection of orders (from
// order.created / order.status_changed) to check the reference + postal code factor and to issue tokens.
// ---------------------------------------------------------------------------------------------------------------

export const consumerOrders = identitySchema.table(
  'consumer_orders',
  {
    orderId: text('order_id').primaryKey(),
    merchantId: text('merchant_id').notNull(),
    livemode: boolean('livemode').notNull(),
    /** The merchant's order reference, as the consumer knows it (stored upper-case, trimmed). */
    reference: text('reference').notNull(),
    /** The shipping postal code, upper-case without spaces; null when the order has none (no self-service access). */
    postalCode: text('postal_code'),
    country: char('country', { length: 2 }),
    customerName: text('customer_name'),
    /** Where consumer mail goes (order.created's customer.email); null when the shop withholds it. */
    customerEmail: text('customer_email'),
    totalAmount: integer('total_amount').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    status: text('status').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [index('consumer_orders_reference_idx').on(t.livemode, t.reference)],
);

export const consumerTokens = identitySchema.table(
  'consumer_tokens',
  {
    id: text('id').primaryKey(),
    orderId: text('order_id')
      .notNull()
      .references(() => consumerOrders.orderId),
    merchantId: text('merchant_id').notNull(),
    livemode: boolean('livemode').notNull(),
    locale: text('locale').notNull(),
    /** MERCHANT: issued to the merchant to hand on; VERIFICATION: the consumer proved reference + postal code. */
    issuedVia: text('issued_via', { enum: ['MERCHANT', 'VERIFICATION'] }).notNull(),
    issuedBy: text('issued_by'),
    expiresAt: ts('expires_at').notNull(),
    revokedAt: ts('revoked_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('consumer_tokens_order_idx').on(t.orderId)],
);

/** Failed reference + postal code attempts: the lockout counts them per reference and per source address. */
export const consumerAccessFailures = identitySchema.table(
  'consumer_access_failures',
  {
    id: text('id').primaryKey(),
    livemode: boolean('livemode').notNull(),
    reference: text('reference').notNull(),
    sourceIp: text('source_ip'),
    at: ts('at').notNull().defaultNow(),
  },
  (t) => [index('consumer_access_failures_reference_idx').on(t.livemode, t.reference, t.at), index('consumer_access_failures_ip_idx').on(t.sourceIp, t.at)],
);

/**
 * Outgoing consumer mail (src/app/consumer-mail.ts): rendered from the localization templates in the consumer's locale
 * when the event that causes it is projected, then sent by the mail worker through the platform mail module. One
 * row per event and message, so a redelivered event never mails twice; a message that cannot be rendered is FAILED
 * and never sent (no raw key reaches a consumer).
 */
export const consumerMails = identitySchema.table(
  'consumer_mails',
  {
    id: text('id').primaryKey(),
    /** `<event id>:<message>`: the bus delivers at least once. */
    dedupeKey: text('dedupe_key').notNull(),
    /** The message family, e.g. payment.confirmed.email (its .subject and .body keys). */
    message: text('message').notNull(),
    orderId: text('order_id').notNull(),
    merchantId: text('merchant_id').notNull(),
    livemode: boolean('livemode').notNull(),
    recipient: text('recipient').notNull(),
    /** The consumer's locale asked for, and the locales the fallback chain rendered subject and body in. */
    locale: text('locale').notNull(),
    subjectLocale: text('subject_locale'),
    bodyLocale: text('body_locale'),
    subject: text('subject'),
    body: text('body'),
    status: text('status', { enum: ['PENDING', 'SENDING', 'SENT', 'FAILED'] }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    messageId: text('message_id'),
    claimedAt: ts('claimed_at'),
    sentAt: ts('sent_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('consumer_mails_dedupe_key').on(t.dedupeKey),
    index('consumer_mails_status_idx').on(t.status, t.createdAt),
    index('consumer_mails_order_idx').on(t.orderId),
    // Only a rendered message is ever sent.
    check('consumer_mails_rendered', sql`${t.status} = 'FAILED' OR (${t.subject} IS NOT NULL AND ${t.body} IS NOT NULL)`),
  ],
);

export type ConsumerMailRow = typeof consumerMails.$inferSelect;
export type ConsumerOrderRow = typeof consumerOrders.$inferSelect;
export type ConsumerTokenRow = typeof consumerTokens.$inferSelect;
