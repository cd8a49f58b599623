import { isIP } from 'node:net';
import { and, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import { badUserInput, isProduction, newId, runMutation, Sealer, systemActor, type Database, type Logger, type UnitOfWork } from '@ipay/platform';
import { auditHead, auditLog, integrations, orders, outbox, type IntegrationRow } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';
import {
  ConnectorAuthError,
  ConnectorCredentialsError,
  ConnectorError,
  ConnectorUnavailableError,
  getConnector,
  isPlatformCode,
} from '../adapters/shops/index.ts';
import type { ConnectorTarget, HttpOptions, MappedOrder, OurStatus } from '../adapters/shops/index.ts';
import { insertOrders, knownMerchant, merchantSlugs, type NewOrderRow } from './orders.ts';

type Schema = typeof schema;
type Uow = UnitOfWork<Schema>;
export type Mutate = <T>(work: (uow: Uow) => Promise<T>) => Promise<T>;

export interface SchedulerConfig {
  /** How often the `integration-sync` job looks for due integrations; 0 turns its schedule off (tests drive runDue). */
  tickMs: number;
  /** Default time between two syncs of one integration. */
  intervalSeconds: number;
  /** Orders changed this recently on the platform wait for the next run (see integrations/sync.ts). */
  settleMs: number;
  /** First retry delay after a failure; doubles per consecutive failure up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
  /** Consecutive failures after which the integration goes to ERROR and stops being scheduled. */
  maxFailures: number;
  /** How long a claimed run is protected from other schedulers. */
  leaseMs: number;
  http?: HttpOptions;
}

export const DEFAULT_SCHEDULER: SchedulerConfig = {
  tickMs: 15_000,
  intervalSeconds: 300,
  settleMs: 5_000,
  backoffMs: 30_000,
  maxBackoffMs: 3_600_000,
  maxFailures: 5,
  leaseMs: 10 * 60_000,
};

/** At most this many fetchOrders windows per run, so one busy shop cannot hold a scheduler forever. */
const MAX_WINDOWS_PER_RUN = 20;

export interface SyncOutcome {
  integrationId: string;
  ok: boolean;
  created: number;
  error?: string;
}

const credentialsAad = (row: { id: string; merchantId: string; platform: string }) => `integration:${row.id}:${row.merchantId}:${row.platform}`;

/** What the audit trail keeps of an integration: never the credentials. */
const auditView = (row: IntegrationRow) => ({
  platform: row.platform,
  baseUrl: row.baseUrl,
  status: row.status,
  externalAccountId: row.externalAccountId,
  syncCursor: row.syncCursor,
  nextRunAt: row.nextRunAt?.toISOString() ?? null,
  consecutiveFailures: row.consecutiveFailures,
  lastError: row.lastError,
  importedCount: row.importedCount,
});

export class IntegrationService {
  readonly owner = newId('sch');
  /** Set by the server once its outbox relay exists: publishes committed events without waiting for its poll. */
  kick: () => void = () => {};

  constructor(
    private readonly db: Database<Schema>,
    private readonly key: Buffer,
    readonly config: SchedulerConfig,
    private readonly logger: Logger,
  ) {}

  /** A system mutation of the scheduler (audit + outbox in one transaction). */
  private system<T>(livemode: boolean, work: (uow: Uow) => Promise<T>): Promise<T> {
    return runMutation(
      this.db,
      { audit: { auditLog, auditHead }, outbox, afterEvents: () => this.kick() },
      systemActor('system:integration-sync', livemode),
      work,
    );
  }

  credentialsOf(row: IntegrationRow): unknown {
    return JSON.parse(new Sealer(this.key).open(row.credentialsSealed, credentialsAad(row)));
  }

  targetOf(row: IntegrationRow): ConnectorTarget {
    return { baseUrl: row.baseUrl, authBaseUrl: row.authBaseUrl ?? undefined, credentials: this.credentialsOf(row), http: this.config.http };
  }

  /**
   * Stores the integration (credentials sealed) as PENDING, then verifies the credentials by calling the platform
   * outside any transaction, and records CONNECTED (scheduled right away) or ERROR with the platform's answer.
   */
  async connect(
    mutate: Mutate,
    input: { merchantId: string; livemode: boolean; platform: string; credentials: unknown; baseUrl: string; authBaseUrl?: string | null },
  ): Promise<IntegrationRow> {
    if (!isPlatformCode(input.platform)) throw badUserInput('platform', `"${input.platform}" is not a supported platform`);
    const connector = getConnector(input.platform);
    let credentials;
    try {
      credentials = connector.validateCredentials(input.credentials);
    } catch (error) {
      if (error instanceof ConnectorCredentialsError)
        throw badUserInput(`credentials.${error.field}`, error.message.replace(/^[^:]+: credentials\.[^:]+: /, ''));
      throw error;
    }
    const baseUrl = parseUrl(input.baseUrl, 'baseUrl');
    const authBaseUrl = input.authBaseUrl ? parseUrl(input.authBaseUrl, 'authBaseUrl') : null;
    await knownMerchant(this.db, input.merchantId);
    const id = newId('int');
    const pending = await mutate(async (uow) => {
      const [row] = await uow.tx
        .insert(integrations)
        .values({
          id,
          merchantId: input.merchantId,
          livemode: input.livemode,
          platform: input.platform,
          baseUrl,
          authBaseUrl,
          status: 'PENDING',
          credentialsSealed: new Sealer(this.key).seal(
            JSON.stringify(credentials),
            credentialsAad({ id, merchantId: input.merchantId, platform: input.platform }),
          ),
          syncIntervalSeconds: this.config.intervalSeconds,
        })
        .returning();
      uow.audit({
        action: 'integration.connect',
        entityType: 'Integration',
        entityId: id,
        merchantId: input.merchantId,
        livemode: input.livemode,
        before: null,
        after: auditView(row!),
      });
      return row!;
    });
    let update: Partial<IntegrationRow>;
    try {
      const account = await connector.connect(credentials, baseUrl, { authBaseUrl: authBaseUrl ?? undefined, http: this.config.http });
      update = { status: 'CONNECTED', externalAccountId: account.externalAccountId, accountName: account.name, nextRunAt: new Date(), lastError: null };
    } catch (error) {
      if (!(error instanceof ConnectorError)) throw error;
      update = { status: 'ERROR', lastError: error.message, nextRunAt: null };
    }
    return mutate((uow) => this.update(uow, pending, 'integration.verify', update));
  }

  private async update(uow: Uow, before: IntegrationRow, action: string, set: Partial<IntegrationRow>): Promise<IntegrationRow> {
    const [after] = await uow.tx
      .update(integrations)
      .set({ ...set, updatedAt: new Date() })
      .where(eq(integrations.id, before.id))
      .returning();
    uow.audit({
      action,
      entityType: 'Integration',
      entityId: before.id,
      merchantId: before.merchantId,
      livemode: before.livemode,
      before: auditView(before),
      after: auditView(after!),
    });
    return after!;
  }

  /** Stops syncing and wipes the stored credentials; the orders already imported stay. */
  async disconnect(mutate: Mutate, row: IntegrationRow): Promise<IntegrationRow> {
    if (row.status === 'DISCONNECTED') return row;
    return mutate((uow) =>
      this.update(uow, row, 'integration.disconnect', { status: 'DISCONNECTED', credentialsSealed: '', nextRunAt: null, leaseOwner: null, leaseUntil: null }),
    );
  }

  /**
   * Claims due integrations with `for update skip locked` and a lease in one short statement, so two schedulers never
   * run the same integration; the HTTP calls then happen outside any transaction.
   */
  async claim(limit: number, onlyId?: string): Promise<IntegrationRow[]> {
    const now = sql`now()`;
    const due = this.db
      .select({ id: integrations.id })
      .from(integrations)
      .where(
        and(
          onlyId
            ? and(eq(integrations.id, onlyId), inArray(integrations.status, ['CONNECTED', 'ERROR']))
            : and(eq(integrations.status, 'CONNECTED'), lt(integrations.nextRunAt, sql`now() + interval '1 millisecond'`)),
          or(isNull(integrations.leaseUntil), lt(integrations.leaseUntil, now)),
        ),
      )
      .orderBy(integrations.nextRunAt)
      .limit(limit)
      .for('update', { skipLocked: true });
    return this.db
      .update(integrations)
      .set({ leaseOwner: this.owner, leaseUntil: sql`now() + ${`${this.config.leaseMs} milliseconds`}::interval` })
      .where(inArray(integrations.id, due))
      .returning();
  }

  /** One scheduler pass: every due integration this process could claim. */
  async runDue(limit = 10): Promise<SyncOutcome[]> {
    const claimed = await this.claim(limit);
    const outcomes: SyncOutcome[] = [];
    for (const row of claimed) outcomes.push(await this.run(row));
    return outcomes;
  }

  /** "Sync now": runs the integration at once unless another scheduler holds it; returns the resulting state. */
  async syncNow(id: string): Promise<{ outcome: SyncOutcome | null; row: IntegrationRow }> {
    const [claimed] = await this.claim(1, id);
    const outcome = claimed ? await this.run(claimed) : null;
    const [row] = await this.db.select().from(integrations).where(eq(integrations.id, id));
    return { outcome, row: row! };
  }

  /** Runs one claimed integration: fetch windows, commit each with its cursor, then reschedule (or back off). */
  async run(claimed: IntegrationRow): Promise<SyncOutcome> {
    const connector = getConnector(claimed.platform);
    let created = 0;
    let cursor = claimed.syncCursor;
    try {
      const target = this.targetOf(claimed);
      const slugs = await merchantSlugs(this.db);
      for (let window = 0; window < MAX_WINDOWS_PER_RUN; window++) {
        const result = await connector.fetchOrders(target, {
          cursor,
          initialSince: new Date(claimed.createdAt.getTime() - 30 * 24 * 3600_000),
          settleMs: this.config.settleMs,
        });
        // Map everything before writing: a payload the connector cannot read fails the run without moving the cursor.
        const mapped = result.orders.map((raw) => connector.mapOrder(raw.payload));
        const rows = mapped.map((order) => orderFromShop(order, claimed));
        const count = await this.system(claimed.livemode, async (uow) => {
          const [current] = await uow.tx.select().from(integrations).where(eq(integrations.id, claimed.id)).for('update');
          // Fencing: a run whose lease was taken over (expired) must not move the cursor under the new owner.
          if (current?.leaseOwner !== this.owner || current.status === 'DISCONNECTED') throw new LeaseLostError();
          const inserted = await insertOrders(uow, rows, (merchantId) => slugs.get(merchantId) ?? merchantId, 'order.import_from_shop');
          await this.update(uow, current, 'integration.sync', { syncCursor: result.nextCursor, importedCount: current.importedCount + inserted.length });
          return inserted.length;
        });
        created += count;
        cursor = result.nextCursor;
        if (result.caughtUp) break;
      }
      await this.finish(claimed, { ok: true });
      return { integrationId: claimed.id, ok: true, created };
    } catch (error) {
      if (error instanceof LeaseLostError) return { integrationId: claimed.id, ok: false, created, error: error.message };
      const message = error instanceof Error ? error.message : String(error);
      this.logger.warn({ integrationId: claimed.id, platform: claimed.platform, err: message }, 'integration sync failed');
      await this.finish(claimed, { ok: false, error });
      return { integrationId: claimed.id, ok: false, created, error: message };
    }
  }

  private async finish(claimed: IntegrationRow, result: { ok: true } | { ok: false; error: unknown }) {
    await this.system(claimed.livemode, async (uow) => {
      const [current] = await uow.tx.select().from(integrations).where(eq(integrations.id, claimed.id)).for('update');
      if (!current || current.leaseOwner !== this.owner) throw new LeaseLostError();
      const now = new Date();
      if (result.ok) {
        return this.update(uow, current, 'integration.sync_finished', {
          status: 'CONNECTED',
          lastRunAt: now,
          lastSuccessAt: now,
          lastError: null,
          consecutiveFailures: 0,
          nextRunAt: new Date(now.getTime() + current.syncIntervalSeconds * 1000),
          leaseOwner: null,
          leaseUntil: null,
        });
      }
      const failures = current.consecutiveFailures + 1;
      const error = result.error;
      const refused = error instanceof ConnectorAuthError;
      const giveUp = refused || failures >= this.config.maxFailures;
      const backoff = Math.min(this.config.backoffMs * 2 ** (failures - 1), this.config.maxBackoffMs);
      const retryAfter = error instanceof ConnectorUnavailableError ? (error.retryAfterMs ?? 0) : 0;
      return this.update(uow, current, 'integration.sync_failed', {
        status: giveUp ? 'ERROR' : current.status === 'DISCONNECTED' ? 'DISCONNECTED' : 'CONNECTED',
        lastRunAt: now,
        lastError: error instanceof Error ? error.message : String(error),
        consecutiveFailures: failures,
        nextRunAt: giveUp ? null : new Date(now.getTime() + Math.max(backoff, retryAfter)),
        leaseOwner: null,
        leaseUntil: null,
      });
    }).catch((error) => {
      if (!(error instanceof LeaseLostError)) throw error;
    });
  }

  /** Pushes an order's new status to its shop, where the connector has an equivalent action. */
  async pushStatus(orderId: string, status: OurStatus): Promise<void> {
    const [order] = await this.db.select().from(orders).where(eq(orders.id, orderId));
    if (!order?.integrationId || !order.externalId) return;
    const [row] = await this.db.select().from(integrations).where(eq(integrations.id, order.integrationId));
    if (!row || row.status === 'DISCONNECTED' || !row.credentialsSealed) return;
    const connector = getConnector(row.platform);
    if (connector.statusActions[status] == null) return; // null, or a status the shop has no counterpart for (PARTIALLY_RETURNED)
    // Runs on the event consumer's lease (30 s): keep the whole attempt well inside it.
    const target = { ...this.targetOf(row), http: { timeoutMs: 8_000, retries: 1, maxRetryWaitMs: 2_000, ...this.config.http } };
    const result = await connector.pushStatus(target, order.externalId, status);
    this.logger.info({ orderId, platform: row.platform, status, result }, 'pushed order status to the shop');
  }
}

class LeaseLostError extends Error {
  constructor() {
    super('another scheduler took over this integration run');
  }
}

function parseUrl(value: string, field: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw badUserInput(field, `"${value}" is not an absolute URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw badUserInput(field, 'must be an http(s) URL');
  if (url.username || url.password) throw badUserInput(field, 'must not carry credentials; pass them in credentials');
  // The server calls this URL: in production it must be a public HTTPS host, never our own network.
  if (isProduction()) {
    if (url.protocol !== 'https:') throw badUserInput(field, 'must be an https URL');
    if (isInternalHost(url.hostname)) throw badUserInput(field, 'must be a public host');
  }
  return url.toString().replace(/\/+$/, '');
}

/** Loopback, private, link-local and unique-local addresses, and names that only resolve inside a network. */
export function isInternalHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal') || (!host.includes('.') && !isIP(host)))
    return true;
  if (isIP(host) === 4) {
    const [a, b] = host.split('.').map(Number) as [number, number];
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168)
    );
  }
  if (isIP(host) === 6) return host === '::1' || host === '::' || /^f[cd]/.test(host) || /^fe[89ab]/.test(host) || host.startsWith('::ffff:');
  return false;
}

/** A shop order as an IPAY order: the platform total is trusted, what the lines do not explain is the adjustment. */
export function orderFromShop(order: MappedOrder, integration: Pick<IntegrationRow, 'id' | 'merchantId' | 'livemode'>, now = new Date()): NewOrderRow {
  const { items, shipping, discount } = order.amounts;
  const address = order.shippingAddress;
  return {
    id: newId('ord'),
    merchantId: integration.merchantId,
    livemode: integration.livemode,
    merchantReference: order.merchantReference,
    status: 'CREATED',
    totalAmount: order.totalAmount,
    currency: order.currency,
    customerName: order.customer.name,
    customerEmail: order.customer.email?.toLowerCase() ?? null,
    customerPhone: order.customer.phone ?? null,
    subtotalAmount: items,
    shippingAmount: shipping,
    discountAmount: discount,
    adjustmentAmount: order.totalAmount - (items + shipping - discount),
    lines: order.lines.map((l) => ({ sku: l.sku, name: l.name, quantity: l.quantity, unitAmount: l.unitAmount })),
    shippingAddress: {
      name: address.name,
      line1: address.line1,
      line2: address.line2 ?? null,
      city: address.city,
      postalCode: address.postalCode,
      region: address.region ?? null,
      country: address.country,
    },
    source: 'INTEGRATION',
    sourcePlatform: order.platform,
    externalId: order.externalId,
    integrationId: integration.id,
    createdAt: now,
    updatedAt: now,
  };
}
