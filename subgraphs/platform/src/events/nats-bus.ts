import { AckPolicy, DeliverPolicy, JSONCodec, connect, type ConsumerMessages, type JetStreamClient, type NatsConnection } from 'nats';
import type { Logger } from '../logger.ts';
import type { BusEvent, EventBus, Subscription } from './bus.ts';
import { eventIdTime, type DomainEvent } from './event.ts';

const codec = JSONCodec<DomainEvent>();

export interface NatsBusOptions {
  /** JetStream stream and subject prefix (tests use their own, so they never see each other's events). */
  stream?: string;
  subjectPrefix?: string;
}

/**
 * The bus across machines: one JetStream stream that every gateway and worker process reads. Publishing uses
 * the event id as JetStream's message id, so a relay that publishes twice (at least once) stores it once.
 * Replaying "after event X" starts a little before X's uuidv7 timestamp and skips up to X in stream order.
 */
export class NatsEventBus implements EventBus {
  readonly kind = 'nats' as const;
  private readonly open = new Set<ConsumerMessages>();

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly stream: string,
    private readonly subjectPrefix: string,
    private readonly logger: Logger,
  ) {}

  static async connect(url: string, logger: Logger, options: NatsBusOptions = {}): Promise<NatsEventBus> {
    const stream = options.stream ?? 'IPAY_EVENTS';
    const subjectPrefix = options.subjectPrefix ?? 'ipay.events';
    // Reconnect for as long as it takes (nats.js gives up after 10 attempts by default, ~20 s): an outage of the bus
    // must never close the connection for good. Backoff: 1 s plus jitter between attempts.
    const nc = await connect({ servers: url, name: 'ipay-graph', maxReconnectAttempts: -1, reconnectTimeWait: 1_000, reconnectJitter: 500 });
    const connection = { state: 'ok' };
    void (async () => {
      for await (const status of nc.status()) {
        logger.warn({ nats: status.type, data: String(status.data ?? '') }, 'event bus connection status');
        if (status.type === 'disconnect' || status.type === 'reconnecting') connection.state = 'disconnected (reconnecting)';
        else if (status.type === 'reconnect') connection.state = 'ok';
      }
    })().catch(() => {});
    const jsm = await nc.jetstreamManager();
    try {
      await jsm.streams.info(stream);
    } catch {
      // Two minutes of duplicate detection covers a relay retrying after a crash.
      await jsm.streams.add({ name: stream, subjects: [`${subjectPrefix}.>`], duplicate_window: 120 * 1e9 });
    }
    const bus = new NatsEventBus(nc, nc.jetstream(), stream, subjectPrefix, logger);
    bus.connection = connection;
    return bus;
  }

  private connection = { state: 'ok' };

  async health(): Promise<string> {
    if (this.nc.isClosed()) return 'closed';
    return this.connection.state;
  }

  async publish(events: readonly DomainEvent[]): Promise<void> {
    // Sequential: per-subject order on the stream is the outbox order.
    for (const event of events) await this.js.publish(`${this.subjectPrefix}.${event.type}`, codec.encode(event), { msgID: event.id });
  }

  private track(messages: ConsumerMessages): Subscription {
    this.open.add(messages);
    return {
      close: async () => {
        this.open.delete(messages);
        await messages.close();
      },
    };
  }

  async subscribe(options: { afterEventId?: string | null }, onEvent: (event: BusEvent) => void): Promise<Subscription> {
    const after = options.afterEventId;
    const consumer = await this.js.consumers.get(
      this.stream,
      after ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(eventIdTime(after) - 5_000).toISOString() } : { deliver_policy: DeliverPolicy.New },
    );
    const messages = await consumer.consume();
    let skipping = !!after;
    (async () => {
      for await (const message of messages) {
        const event = codec.decode(message.data);
        if (skipping) {
          if (event.id === after) skipping = false;
          continue;
        }
        onEvent({ ...event, position: message.seq });
      }
    })().catch((error) => this.logger.error({ err: error }, 'NATS subscription failed'));
    return this.track(messages);
  }

  async consume(name: string, handle: (event: BusEvent) => Promise<void>): Promise<Subscription> {
    const jsm = await this.nc.jetstreamManager();
    try {
      await jsm.consumers.info(this.stream, name);
    } catch {
      await jsm.consumers.add(this.stream, { durable_name: name, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, max_ack_pending: 1 });
    }
    const consumer = await this.js.consumers.get(this.stream, name);
    const messages = await consumer.consume();
    (async () => {
      for await (const message of messages) {
        try {
          await handle({ ...codec.decode(message.data), position: message.seq });
          message.ack();
        } catch (error) {
          this.logger.error({ err: error, consumer: name }, 'event handler failed; redelivering');
          message.nak(1_000);
        }
      }
    })().catch((error) => this.logger.error({ err: error }, 'NATS consumer failed'));
    return this.track(messages);
  }

  async close(): Promise<void> {
    for (const messages of this.open) await messages.close();
    await this.nc.drain();
  }

  /** Removes the stream (tests). */
  async destroy(): Promise<void> {
    const jsm = await this.nc.jetstreamManager();
    await jsm.streams.delete(this.stream).catch(() => false);
  }
}
