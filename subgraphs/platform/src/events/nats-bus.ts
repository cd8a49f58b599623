import { AckPolicy, DeliverPolicy, JSONCodec, connect, type ConsumerConfig, type ConsumerMessages, type JetStreamClient, type NatsConnection } from 'nats';
import type { Logger } from '../logger.ts';
import { UnknownEventError, type BusEvent, type EventBus, type Subscription } from './bus.ts';
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
  /** The durable consumers this process reads, so they can be recreated with the stream. */
  private readonly durables = new Map<string, { config: Partial<ConsumerConfig>; reopen: () => Promise<void> }>();
  private repairing: Promise<void> | undefined;

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
    const bus = new NatsEventBus(nc, nc.jetstream(), stream, subjectPrefix, logger);
    void (async () => {
      for await (const status of nc.status()) {
        logger.warn({ nats: status.type, data: String(status.data ?? '') }, 'event bus connection status');
        if (status.type === 'disconnect' || status.type === 'reconnecting') bus.connectionState = 'disconnected (reconnecting)';
        else if (status.type === 'reconnect') {
          bus.connectionState = 'ok';
          // The server may be back without its store (a new volume): bring the stream and consumers back at once.
          void bus.repair().catch((error) => logger.error({ err: error }, 'event bus repair after reconnect failed'));
        }
      }
    })().catch(() => {});
    await bus.ensureStream();
    return bus;
  }

  private connectionState = 'ok';

  /** Creates the stream if the server has none (first start, or a server that came back without its store). */
  private async ensureStream(): Promise<boolean> {
    const jsm = await this.nc.jetstreamManager({ checkAPI: false });
    try {
      await jsm.streams.info(this.stream);
      return false;
    } catch {
      // Two minutes of duplicate detection covers a relay retrying after a crash.
      await jsm.streams.add({ name: this.stream, subjects: [`${this.subjectPrefix}.>`], duplicate_window: 120 * 1e9 }).catch(async (error) => {
        // Another process created it first.
        await jsm.streams.info(this.stream).catch(() => Promise.reject(error));
      });
      return true;
    }
  }

  private async ensureConsumer(name: string, config: Partial<ConsumerConfig>): Promise<void> {
    const jsm = await this.nc.jetstreamManager({ checkAPI: false });
    try {
      await jsm.consumers.info(this.stream, name);
    } catch {
      await jsm.consumers.add(this.stream, config).catch(async (error) => {
        await jsm.consumers.info(this.stream, name).catch(() => Promise.reject(error));
      });
    }
  }

  /**
   * Brings back what the server lost: the stream, then this process's durable consumers with fresh pull loops.
   * One repair at a time.
   */
  private repair(): Promise<void> {
    this.repairing ??= (async () => {
      try {
        const recreated = await this.ensureStream();
        if (recreated) this.logger.warn({ stream: this.stream }, 'event bus stream was missing: recreated');
        const jsm = await this.nc.jetstreamManager({ checkAPI: false });
        for (const [name, durable] of this.durables) {
          // Another process may have recreated the stream first: our consumer is gone all the same.
          const missing =
            recreated ||
            (await jsm.consumers.info(this.stream, name).then(
              () => false,
              () => true,
            ));
          if (missing) await durable.reopen();
        }
      } finally {
        this.repairing = undefined;
      }
    })();
    return this.repairing;
  }

  async health(): Promise<string> {
    if (this.nc.isClosed()) return 'closed';
    if (this.connectionState !== 'ok') return this.connectionState;
    const jsm = await this.nc.jetstreamManager({ checkAPI: false });
    const present = await jsm.streams.info(this.stream).then(
      () => true,
      () => false,
    );
    if (present) return 'ok';
    void this.repair().catch((error) => this.logger.error({ err: error }, 'event bus repair failed'));
    return 'stream missing (recreating)';
  }

  async publish(events: readonly DomainEvent[]): Promise<void> {
    // Sequential: per-subject order on the stream is the outbox order.
    for (const event of events) {
      const subject = `${this.subjectPrefix}.${event.type}`;
      try {
        await this.js.publish(subject, codec.encode(event), { msgID: event.id });
      } catch (error) {
        // 503 "no responders": nothing stores this subject any more (the stream is gone). Repair once and retry; the
        // caller (the outbox relay) retries anything that still fails.
        if ((error as { code?: string }).code !== '503') throw error;
        await this.repair();
        await this.js.publish(subject, codec.encode(event), { msgID: event.id });
      }
    }
  }

  /**
   * Refuses a resume point the stream does not hold (as the SQL log does), instead of skipping forever: reads from a
   * little before the id's uuidv7 time up to the stream's last message at this moment.
   */
  private async assertStored(eventId: string): Promise<void> {
    const unknown = () => new UnknownEventError(`unknown event id ${eventId}`);
    const jsm = await this.nc.jetstreamManager({ checkAPI: false });
    const lastSeq = (await jsm.streams.info(this.stream)).state.last_seq;
    if (lastSeq === 0) throw unknown();
    const consumer = await this.js.consumers.get(this.stream, {
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: new Date(eventIdTime(eventId) - 5_000).toISOString(),
    });
    for (;;) {
      const batch = await consumer.fetch({ max_messages: 256, expires: 2_000 });
      let received = 0;
      for await (const message of batch) {
        received++;
        if (codec.decode(message.data).id === eventId) return;
        if (message.seq >= lastSeq) throw unknown();
      }
      if (received === 0) throw unknown();
    }
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
    if (after) await this.assertStored(after);
    const consumer = await this.js.consumers.get(
      this.stream,
      after
        ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(eventIdTime(after) - 5_000).toISOString() }
        : { deliver_policy: DeliverPolicy.New },
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
    const config: Partial<ConsumerConfig> = { durable_name: name, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, max_ack_pending: 1 };
    let current: ConsumerMessages | undefined;
    let closed = false;
    // (Re)opens the pull loop on the durable consumer; a repair calls it again once the consumer exists anew, since a
    // loop whose consumer vanished with the stream does not pick up a recreated one.
    const open = async () => {
      await this.ensureConsumer(name, config);
      const consumer = await this.js.consumers.get(this.stream, name);
      const messages = await consumer.consume();
      if (current) {
        this.open.delete(current);
        await current.close().catch(() => {});
      }
      current = messages;
      this.open.add(messages);
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
    };
    await open();
    this.durables.set(name, { config, reopen: () => (closed ? Promise.resolve() : open()) });
    return {
      close: async () => {
        closed = true;
        this.durables.delete(name);
        if (current) {
          this.open.delete(current);
          await current.close();
        }
      },
    };
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
