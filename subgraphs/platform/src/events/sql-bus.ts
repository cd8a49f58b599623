import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { and, asc, eq, gt, isNull, lt, max, or, sql } from 'drizzle-orm';
import { openDatabase, type DatabaseHandle, type DatabaseTarget } from '../db.ts';
import type { Logger } from '../logger.ts';
import { UnknownEventError, type BusEvent, type EventBus, type Subscription } from './bus.ts';
import type { EventType } from './catalogue.ts';
import type { DomainEvent } from './event.ts';
import * as logSchema from './log-schema.ts';
import { consumerOffsets, eventLog } from './log-schema.ts';

const CHANNEL = 'ipay_events';
const POLL_MS = 1000;
const BATCH = 500;
const LEASE_MS = 30_000;
const MIGRATIONS = fileURLToPath(new URL('../../drizzle', import.meta.url));

type LogRow = typeof eventLog.$inferSelect;

const toBusEvent = (row: LogRow): BusEvent => ({
  id: row.id,
  type: row.type as EventType,
  version: row.version,
  occurredAt: row.occurredAt.toISOString(),
  source: row.source,
  merchantId: row.merchantId,
  livemode: row.livemode,
  carrierCode: row.carrierCode,
  subjectType: row.subjectType,
  subjectId: row.subjectId,
  payload: row.payload as Record<string, unknown>,
  position: row.position,
});

interface Listener {
  cursor: number;
  onEvent: (event: BusEvent) => void;
}

/**
 * The single-machine bus: an append-only log table (`events.log`) whose position orders all events, with
 * LISTEN/NOTIFY to wake readers (PGlite supports it in-process too) and a poll as a safety net.
 * Appends take a transaction-level advisory lock, so positions become visible in order and a reader that has
 * seen position N never later finds an N-1 it skipped.
 */
export class SqlEventBus implements EventBus {
  readonly kind = 'sql' as const;
  private readonly listeners = new Set<Listener>();
  private position = 0;
  private hub: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private stopListening: (() => Promise<void>) | undefined;
  private closed = false;
  private readonly consumers = new Set<{ stop(): Promise<void> }>();

  private constructor(
    private readonly database: DatabaseHandle<typeof logSchema>,
    private readonly logger: Logger,
  ) {}

  static async open(target: DatabaseTarget, logger: Logger): Promise<SqlEventBus> {
    const database = openDatabase(target, { schema: logSchema, maxConnections: 3 });
    await database.migrate('events', MIGRATIONS);
    return new SqlEventBus(database, logger);
  }

  private get db() {
    return this.database.db;
  }

  async publish(events: readonly DomainEvent[]): Promise<void> {
    if (!events.length) return;
    await this.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext('ipay:events:append'))`);
      await tx
        .insert(eventLog)
        .values(events.map((e) => ({ ...e, occurredAt: new Date(e.occurredAt) })))
        .onConflictDoNothing({ target: eventLog.id });
    });
    await this.database.notify(CHANNEL, '');
  }

  private async read(after: number, limit = BATCH): Promise<BusEvent[]> {
    const rows = await this.db.select().from(eventLog).where(gt(eventLog.position, after)).orderBy(asc(eventLog.position)).limit(limit);
    return rows.map(toBusEvent);
  }

  private async positionOf(eventId: string): Promise<number> {
    const [row] = await this.db.select({ position: eventLog.position }).from(eventLog).where(eq(eventLog.id, eventId));
    if (!row) throw new UnknownEventError(`unknown event id ${eventId}`);
    return row.position;
  }

  private async head(): Promise<number> {
    const [row] = await this.db.select({ head: max(eventLog.position) }).from(eventLog);
    return Number(row?.head ?? 0);
  }

  private sleep(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, POLL_MS);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** One reader per process fans events out to every live listener. */
  private async startHub(): Promise<void> {
    this.position = await this.head();
    this.stopListening = await this.database.listen(CHANNEL, () => this.wake?.());
    this.hub = (async () => {
      while (!this.closed) {
        try {
          const events = await this.read(this.position);
          for (const event of events) {
            this.position = event.position;
            for (const listener of this.listeners) {
              if (listener.cursor < event.position) {
                listener.cursor = event.position;
                listener.onEvent(event);
              }
            }
          }
          if (events.length === BATCH) continue;
        } catch (error) {
          if (this.closed) break;
          this.logger.error({ err: error }, 'event bus read failed; retrying');
        }
        await this.sleep();
      }
    })();
  }

  async subscribe(options: { afterEventId?: string | null }, onEvent: (event: BusEvent) => void): Promise<Subscription> {
    if (!this.hub) await this.startHub();
    const listener: Listener = { cursor: options.afterEventId ? await this.positionOf(options.afterEventId) : this.position, onEvent };
    // Catch up from the log until level with the hub, then join it: no gap, no duplicate.
    while (listener.cursor < this.position) {
      for (const event of await this.read(listener.cursor, Math.min(BATCH, this.position - listener.cursor))) {
        listener.cursor = event.position;
        onEvent(event);
      }
    }
    this.listeners.add(listener);
    return { close: async () => void this.listeners.delete(listener) };
  }

  async consume(name: string, handle: (event: BusEvent) => Promise<void>): Promise<Subscription> {
    const owner = randomUUID();
    let stopped = false;
    let wakeConsumer: (() => void) | undefined;
    const unlisten = await this.database.listen(CHANNEL, () => wakeConsumer?.());
    await this.db.insert(consumerOffsets).values({ name, position: 0 }).onConflictDoNothing();
    const leaseFor = () => new Date(Date.now() + LEASE_MS);
    // One process works a consumer at a time: it holds a lease it renews with every event. No transaction
    // stays open while `handle` runs (it may write elsewhere, and PGlite has a single connection).
    const claim = async (): Promise<number | null> => {
      const [row] = await this.db
        .update(consumerOffsets)
        .set({ leaseOwner: owner, leasedUntil: leaseFor() })
        .where(
          and(
            eq(consumerOffsets.name, name),
            or(isNull(consumerOffsets.leasedUntil), lt(consumerOffsets.leasedUntil, new Date()), eq(consumerOffsets.leaseOwner, owner)),
          ),
        )
        .returning({ position: consumerOffsets.position });
      return row ? row.position : null;
    };
    const loop = (async () => {
      while (!stopped) {
        let handled = 0;
        try {
          const position = await claim();
          if (position !== null) {
            for (const event of await this.read(position, 100)) {
              if (stopped) break;
              await handle(event);
              await this.db
                .update(consumerOffsets)
                .set({ position: event.position, leasedUntil: leaseFor(), updatedAt: new Date() })
                .where(and(eq(consumerOffsets.name, name), eq(consumerOffsets.leaseOwner, owner)));
              handled += 1;
            }
          }
        } catch (error) {
          if (stopped) break;
          this.logger.error({ err: error, consumer: name }, 'event consumer failed; retrying');
        }
        if (handled === 100) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, POLL_MS);
          wakeConsumer = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      // Hand the consumer over at once instead of letting the lease run out.
      await this.db
        .update(consumerOffsets)
        .set({ leaseOwner: null, leasedUntil: null })
        .where(and(eq(consumerOffsets.name, name), eq(consumerOffsets.leaseOwner, owner)))
        .catch(() => {});
    })();
    const consumer = {
      stop: async () => {
        stopped = true;
        wakeConsumer?.();
        await loop;
        await unlisten();
      },
    };
    this.consumers.add(consumer);
    return { close: async () => (this.consumers.delete(consumer), consumer.stop()) };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    for (const consumer of this.consumers) await consumer.stop();
    await this.hub;
    await this.stopListening?.();
    await this.database.close();
  }
}
