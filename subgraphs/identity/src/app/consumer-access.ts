import { and, asc, eq, gt, sql } from 'drizzle-orm';
import { GraphQLError } from 'graphql';
import {
  badUserInput,
  forbidden,
  newId,
  notFound,
  unauthenticated,
  type AuditActor,
  type Authorization,
  type Database,
  type Principal,
  type UnitOfWork,
} from '@ipay/platform';
import { consumerAccessFailures, consumerOrders, consumerTokens, merchants, type ConsumerOrderRow, type ConsumerTokenRow } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';
import type { TokenService } from '../adapters/tokens.ts';
import { parseLocale } from '../domain/localization/input.ts';
import {
  DEFAULT_CONSUMER_TOKEN_TTL_SECONDS,
  LOCKOUT,
  MAX_CONSUMER_TOKEN_TTL_SECONDS,
  VERIFIED_CONSUMER_TOKEN_TTL_SECONDS,
  consumerGrants,
  lockoutState,
  normalizePostalCode,
  normalizeReference,
} from '../domain/consumer.ts';

type Db = Database<typeof schema>;
type Uow = UnitOfWork<typeof schema>;
type MutateAs = <T>(actor: AuditActor, work: (uow: Uow) => Promise<T>) => Promise<T>;

const tokenView = (t: ConsumerTokenRow) => ({ orderId: t.orderId, locale: t.locale, issuedVia: t.issuedVia, expiresAt: t.expiresAt, revokedAt: t.revokedAt });

async function signToken(tokens: TokenService, row: ConsumerTokenRow) {
  const ttl = Math.max(1, Math.floor((row.expiresAt.getTime() - Date.now()) / 1000));
  const issued = await tokens.issue({ subject: row.id, credentialKind: 'consumer', credentialId: row.id, livemode: row.livemode }, ttl);
  return {
    accessToken: issued.token,
    tokenType: 'Bearer',
    expiresIn: issued.expiresIn,
    expiresAt: issued.expiresAt,
    tokenId: row.id,
    orderId: row.orderId,
    locale: row.locale,
  };
}

/** The order as identity knows it, if the caller may act on it with `permission` (else NOT_FOUND). */
export async function orderForMerchant(db: Db, auth: Authorization, permission: 'orders:update', orderId: string): Promise<ConsumerOrderRow> {
  auth.require(permission);
  const [order] = await db.select().from(consumerOrders).where(eq(consumerOrders.orderId, orderId));
  if (!order || order.livemode !== auth.livemode || !auth.coversOrder(permission, { id: order.orderId, merchantId: order.merchantId }))
    throw notFound('Order', orderId);
  return order;
}

/**
 * A consumer token for one order, issued to its merchant (orders:update over it) to hand on to the consumer. The
 * token carries the consumer's locale; it reaches this order only, in the order's mode.
 */
export async function issueConsumerToken(
  db: Db,
  auth: Authorization,
  mutate: <T>(work: (uow: Uow) => Promise<T>) => Promise<T>,
  tokens: TokenService,
  args: { orderId: string; locale?: string | null; expiresInSeconds?: number | null },
) {
  if (auth.requirePrincipal().kind === 'consumer') throw forbidden('a consumer token cannot issue consumer tokens');
  const order = await orderForMerchant(db, auth, 'orders:update', args.orderId.trim());
  const ttl = args.expiresInSeconds ?? DEFAULT_CONSUMER_TOKEN_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl < 60 || ttl > MAX_CONSUMER_TOKEN_TTL_SECONDS)
    throw badUserInput('expiresInSeconds', `must be 60 to ${MAX_CONSUMER_TOKEN_TTL_SECONDS} (30 days)`);
  const locale = args.locale ? parseLocale(args.locale) : 'en';
  const row = await mutate(async (uow) => {
    const [created] = await uow.tx
      .insert(consumerTokens)
      .values({
        id: newId('ctk'),
        orderId: order.orderId,
        merchantId: order.merchantId,
        livemode: order.livemode,
        locale,
        issuedVia: 'MERCHANT',
        issuedBy: auth.requirePrincipal().id,
        expiresAt: new Date(Date.now() + ttl * 1000),
      })
      .returning();
    uow.audit({ action: 'consumer_token.issue', entityType: 'ConsumerToken', entityId: created!.id, merchantId: order.merchantId, after: tokenView(created!) });
    return created!;
  });
  return signToken(tokens, row);
}

export async function revokeConsumerToken(
  db: Db,
  auth: Authorization,
  mutate: <T>(work: (uow: Uow) => Promise<T>) => Promise<T>,
  id: string,
): Promise<boolean> {
  const [token] = await db.select().from(consumerTokens).where(eq(consumerTokens.id, id));
  if (!token) throw notFound('ConsumerToken', id);
  await orderForMerchant(db, auth, 'orders:update', token.orderId).catch(() => {
    throw notFound('ConsumerToken', id);
  });
  if (token.revokedAt) return false;
  return mutate(async (uow) => {
    const [revoked] = await uow.tx.update(consumerTokens).set({ revokedAt: new Date() }).where(eq(consumerTokens.id, id)).returning();
    uow.audit({
      action: 'consumer_token.revoke',
      entityType: 'ConsumerToken',
      entityId: id,
      merchantId: token.merchantId,
      before: tokenView(token),
      after: tokenView(revoked!),
    });
    return true;
  });
}

const rateLimited = (retryAfterSeconds: number) =>
  new GraphQLError(`too many wrong attempts: try again in ${retryAfterSeconds} s`, { extensions: { code: 'RATE_LIMITED', retryAfterSeconds } });

/**
 * The consumer proves the order with its reference and the shipping postal code and gets a consumer token.
 * Wrong answers are counted per reference and per source address (15 minutes): after 5 for a reference (20 for an
 * address) every attempt is refused with RATE_LIMITED, the right answer included, until the window moves on.
 * A wrong reference and a wrong postal code get the same answer.
 */
export async function consumerAccess(
  mutateAs: MutateAs,
  tokens: TokenService,
  input: { reference: string; postalCode: string; livemode: boolean; locale?: string | null },
  context: { requestId: string; sourceIp: string | null },
) {
  const reference = normalizeReference(input.reference);
  const postalCode = normalizePostalCode(input.postalCode);
  if (!reference || reference.length > 100) throw badUserInput('input.reference', 'must be 1 to 100 characters');
  if (!postalCode || postalCode.length > 20) throw badUserInput('input.postalCode', 'must be 1 to 20 characters');
  const locale = input.locale ? parseLocale(input.locale, 'input.locale') : 'en';
  const actor: AuditActor = {
    principalKind: 'consumer',
    principalId: 'anonymous',
    credentialId: null,
    livemode: input.livemode,
    requestId: context.requestId,
    sourceIp: context.sourceIp,
  };

  const outcome = await mutateAs(actor, async (uow) => {
    // One attempt per reference at a time: concurrent guesses cannot all pass a count taken before any failed.
    await uow.tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`consumer-access:${input.livemode}:${reference}`}))`);
    const now = new Date();
    const since = new Date(now.getTime() - LOCKOUT.windowMs);
    const failuresOf = (column: 'reference' | 'sourceIp', value: string | null) =>
      value === null
        ? Promise.resolve([])
        : uow.tx
            .select({ at: consumerAccessFailures.at })
            .from(consumerAccessFailures)
            .where(
              and(
                column === 'reference'
                  ? and(eq(consumerAccessFailures.livemode, input.livemode), eq(consumerAccessFailures.reference, reference))
                  : eq(consumerAccessFailures.sourceIp, value),
                gt(consumerAccessFailures.at, since),
              ),
            )
            .orderBy(asc(consumerAccessFailures.at));
    const state = lockoutState(
      { reference: (await failuresOf('reference', reference)).map((f) => f.at), sourceIp: (await failuresOf('sourceIp', context.sourceIp)).map((f) => f.at) },
      now,
    );
    if (state.locked) {
      uow.audit({ action: 'consumer_access.locked', entityType: 'ConsumerAccess', entityId: reference, merchantId: null, after: { by: state.by } });
      return { ok: false as const, locked: state.retryAfterSeconds };
    }
    const candidates = await uow.tx
      .select()
      .from(consumerOrders)
      .where(and(eq(consumerOrders.livemode, input.livemode), eq(consumerOrders.reference, reference)));
    const matches = candidates.filter((o) => o.postalCode !== null && o.postalCode === postalCode);
    // Two merchants' orders with the same reference and postal code cannot be told apart: refuse, as for a wrong code.
    if (matches.length !== 1) {
      await uow.tx.insert(consumerAccessFailures).values({ id: newId('caf'), livemode: input.livemode, reference, sourceIp: context.sourceIp, at: now });
      uow.audit({
        action: 'consumer_access.refuse',
        entityType: 'ConsumerAccess',
        entityId: reference,
        merchantId: null,
        after: { reason: 'no single order with this reference and postal code' },
      });
      return { ok: false as const, locked: null };
    }
    const order = matches[0]!;
    const [created] = await uow.tx
      .insert(consumerTokens)
      .values({
        id: newId('ctk'),
        orderId: order.orderId,
        merchantId: order.merchantId,
        livemode: order.livemode,
        locale,
        issuedVia: 'VERIFICATION',
        issuedBy: null,
        expiresAt: new Date(now.getTime() + VERIFIED_CONSUMER_TOKEN_TTL_SECONDS * 1000),
      })
      .returning();
    uow.audit({ action: 'consumer_token.issue', entityType: 'ConsumerToken', entityId: created!.id, merchantId: order.merchantId, after: tokenView(created!) });
    return { ok: true as const, token: created! };
  });
  if (!outcome.ok) {
    if (outcome.locked !== null) throw rateLimited(outcome.locked);
    throw unauthenticated('no order matches this reference and postal code');
  }
  return signToken(tokens, outcome.token);
}

/** The consumer principal behind a verified token's credential; refused once revoked or expired. */
export async function resolveConsumerCredential(db: Db, tokenId: string): Promise<{ ok: true; principal: Principal } | { ok: false; reason: string }> {
  const [row] = await db
    .select({ token: consumerTokens, order: consumerOrders })
    .from(consumerTokens)
    .innerJoin(consumerOrders, eq(consumerOrders.orderId, consumerTokens.orderId))
    .where(eq(consumerTokens.id, tokenId));
  if (!row) return { ok: false, reason: 'consumer token no longer exists' };
  if (row.token.revokedAt) return { ok: false, reason: 'consumer token has been revoked' };
  if (row.token.expiresAt <= new Date()) return { ok: false, reason: 'consumer token has expired' };
  return {
    ok: true,
    principal: {
      kind: 'consumer',
      id: row.token.id,
      credentialId: row.token.id,
      livemode: row.token.livemode,
      grants: consumerGrants({ orderId: row.token.orderId, merchantId: row.token.merchantId }),
      displayName: `Consumer of order ${row.order.reference}`,
      locale: row.token.locale,
    },
  };
}

/** The consumer's own order as identity knows it, with its merchant's name; only for a consumer principal. */
export async function consumerOrderOf(db: Db, auth: Authorization) {
  const principal = auth.requirePrincipal();
  const scope = principal.grants['orders:read'];
  if (principal.kind !== 'consumer' || scope?.kind !== 'ORDER') throw forbidden('this needs a consumer token (issueConsumerToken or consumerAccess)');
  const [row] = await db
    .select({ order: consumerOrders, merchantName: merchants.name, token: consumerTokens })
    .from(consumerOrders)
    .innerJoin(merchants, eq(merchants.id, consumerOrders.merchantId))
    .innerJoin(consumerTokens, eq(consumerTokens.id, principal.credentialId))
    .where(and(eq(consumerOrders.orderId, scope.orderId), eq(consumerOrders.merchantId, scope.merchantId), eq(consumerOrders.livemode, principal.livemode)));
  if (!row) throw notFound('Order', scope.orderId);
  return { ...row.order, merchantName: row.merchantName, locale: principal.locale ?? row.token.locale, expiresAt: row.token.expiresAt };
}
export type ConsumerOrderView = Awaited<ReturnType<typeof consumerOrderOf>>;
