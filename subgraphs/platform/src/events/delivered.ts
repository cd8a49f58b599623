import { GraphQLError } from 'graphql';
import type { Authorization } from '../auth/guard.ts';
import { badUserInput } from '../errors.ts';
import type { DomainEvent } from './event.ts';
import { eventVisible } from './visibility.ts';

/** An event as a subscription field resolves it (subgraphs add the entities it is about). */
export interface DeliveredEvent {
  eventId: string;
  type: string;
  occurredAt: string;
  merchantId: string | null;
  subjectType: string;
  subjectId: string;
  payload: Record<string, unknown>;
  /** The order the event concerns, when it concerns one. */
  orderId: string | null;
}

/**
 * The subgraph half of a federated subscription: the gateway hands the event it matched (for the subscriber,
 * whose principal rides in the internal token); the subgraph checks it may be seen by that principal and
 * shapes it so the rest of the selection resolves against current data.
 */
export function deliveredEvent(auth: Authorization, raw: unknown): DeliveredEvent {
  const event = raw as Partial<DomainEvent> | null;
  if (!event || typeof event.id !== 'string' || typeof event.type !== 'string' || typeof event.subjectId !== 'string') {
    throw badUserInput('event', 'is not a bus event');
  }
  const visible = eventVisible(auth.require('events:read'), auth.livemode, {
    ...event,
    livemode: event.livemode === true,
    payload: event.payload as Record<string, unknown> | undefined,
  });
  if (!visible) throw new GraphQLError('event is outside the subscriber’s scope', { extensions: { code: 'FORBIDDEN' } });
  const payload = (event.payload ?? {}) as Record<string, unknown>;
  return {
    eventId: event.id,
    type: event.type,
    occurredAt: String(event.occurredAt),
    merchantId: event.merchantId ?? null,
    subjectType: String(event.subjectType),
    subjectId: event.subjectId,
    payload,
    orderId: typeof payload.order_id === 'string' ? payload.order_id : event.subjectType === 'Order' ? event.subjectId : null,
  };
}

/** Subgraphs declare their Subscription fields so the gateway can plan them; only the gateway serves them. */
export const servedByGateway = {
  subscribe: () => {
    throw new GraphQLError('subscriptions are served by the gateway over graphql-ws');
  },
};
