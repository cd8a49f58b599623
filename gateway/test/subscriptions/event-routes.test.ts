import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SUPERGRAPH_PATH } from '../../../scripts/lib/supergraph.ts';
import { eventRoutes } from '../../src/subscriptions.ts';

const supergraph = readFileSync(SUPERGRAPH_PATH, 'utf8');

describe('event routes come from the subgraphs’ @eventFeed declarations', () => {
  const routes = eventRoutes(supergraph);

  it('routes every subscription field its owning subgraph declares, and no other', () => {
    expect([...routes.keys()].sort()).toEqual(['events', 'kpis', 'orderEvents', 'paymentEvents', 'shipmentEvents']);
    const feed = (field: string, type: string) => routes.get(field)!(type);
    expect(feed('orderEvents', 'return.initiated')).toBe(true);
    expect(feed('orderEvents', 'payment.confirmed')).toBe(false);
    expect(feed('paymentEvents', 'refund.created')).toBe(true);
    expect(feed('shipmentEvents', 'release.authorized')).toBe(true);
    expect(feed('shipmentEvents', 'order.created')).toBe(false);
    expect(feed('events', 'anything.at_all')).toBe(true);
  });

  it('refuses a declaration that names no events or names them with non-strings', () => {
    const sdl = (directive: string) => `type Subscription { feed: Int ${directive} }`;
    expect(() => eventRoutes(sdl('@eventFeed'))).toThrow('@eventFeed on Subscription.feed names no events');
    expect(() => eventRoutes(sdl('@eventFeed(types: [1])'))).toThrow('takes strings');
    expect(eventRoutes(sdl('')).size).toBe(0);
    expect(eventRoutes(sdl('@eventFeed(types: "order.created")')).get('feed')!('order.created')).toBe(true);
  });
});
