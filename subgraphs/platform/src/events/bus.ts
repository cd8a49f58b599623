import type { DomainEvent } from './event.ts';

/** An event as a consumer receives it: with its position in the bus's log. */
export interface BusEvent extends DomainEvent {
  position: number;
}

export interface Subscription {
  close(): Promise<void>;
}

/**
 * The event bus: the outbox relays publish to it; gateways (subscriptions) and workers (webhooks) read from it.
 * PostgreSQL/PGlite (a log table with LISTEN/NOTIFY wake-ups) on one machine, NATS JetStream across machines;
 * both behave the same behind this interface.
 */
export interface EventBus {
  readonly kind: 'sql' | 'nats';
  /** At least once; publishing an event id twice stores it once. */
  publish(events: readonly DomainEvent[]): Promise<void>;
  /**
   * Live events from now, or everything after `afterEventId` first (in order) and then live. `onEvent` must not
   * block: it runs on the bus's delivery path (subscribers buffer on their own side).
   */
  subscribe(options: { afterEventId?: string | null }, onEvent: (event: BusEvent) => void): Promise<Subscription>;
  /**
   * A durable consumer: each event is handed to `handle` at least once across restarts and across processes
   * sharing the name; the position only advances after `handle` resolves.
   */
  consume(name: string, handle: (event: BusEvent) => Promise<void>): Promise<Subscription>;
  /** Whether the bus can be reached right now (`ok`, or why not), for readiness reports. */
  health?(): Promise<string>;
  close(): Promise<void>;
}

export class UnknownEventError extends Error {}
