import type { EventType } from './catalogue.ts';

/** A domain event as it travels on the bus and as webhooks and subscriptions deliver it. */
export interface DomainEvent {
  /** `evt_<uuidv7>`: unique and time-ordered. */
  id: string;
  type: EventType;
  version: number;
  occurredAt: string;
  /** The subgraph that emitted it. */
  source: string;
  merchantId: string | null;
  livemode: boolean;
  /** Set for shipment and release events, so carrier partners see their own. */
  carrierCode: string | null;
  subjectType: string;
  subjectId: string;
  payload: Record<string, unknown>;
}

/** The millisecond timestamp a uuidv7-based event id carries (for replaying from a point in time). */
export function eventIdTime(id: string): number {
  const hex = id.replace(/^evt_/, '').replaceAll('-', '').slice(0, 12);
  return Number.parseInt(hex, 16);
}
