import { asc, inArray, isNull } from 'drizzle-orm';
import type { AnyDatabase } from '../db.ts';
import type { Logger } from '../logger.ts';
import type { EventBus } from './bus.ts';
import type { DomainEvent } from './event.ts';
import type { EventType } from './catalogue.ts';
import type { OutboxTable } from './outbox.ts';

const BATCH = 200;

/**
 * Moves a subgraph's committed outbox events to the bus, oldest first, then marks them published. A crash
 * between the two re-publishes (at least once); the bus stores an event id once. Woken after every commit that
 * wrote events, and by a poll.
 */
export class OutboxRelay {
  private running: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: AnyDatabase,
    private readonly outbox: OutboxTable,
    private readonly bus: EventBus,
    private readonly source: string,
    private readonly logger: Logger,
  ) {}

  start(pollMs = 1000): void {
    this.timer = setInterval(() => this.kick(), pollMs);
    this.timer.unref();
    this.kick();
  }

  /** Runs a relay pass now (or right after the one in progress). */
  kick(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          while ((await this.relayBatch()) === BATCH);
        } catch (error) {
          this.logger.error({ err: error }, 'outbox relay failed; will retry');
        }
      } while (this.again);
    })().finally(() => (this.running = undefined));
    return this.running;
  }

  private async relayBatch(): Promise<number> {
    const rows = await this.db.select().from(this.outbox).where(isNull(this.outbox.publishedAt)).orderBy(asc(this.outbox.id)).limit(BATCH);
    if (!rows.length) return 0;
    const events: DomainEvent[] = rows.map((row) => ({
      id: row.id,
      type: row.type as EventType,
      version: row.version,
      occurredAt: row.occurredAt.toISOString(),
      source: this.source,
      merchantId: row.merchantId,
      livemode: row.livemode,
      carrierCode: row.carrierCode,
      subjectType: row.subjectType,
      subjectId: row.subjectId,
      payload: row.payload as Record<string, unknown>,
    }));
    await this.bus.publish(events);
    await this.db
      .update(this.outbox)
      .set({ publishedAt: new Date() })
      .where(
        inArray(
          this.outbox.id,
          rows.map((r) => r.id),
        ),
      );
    return rows.length;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
