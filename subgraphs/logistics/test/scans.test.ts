import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyScans, foldScans, SCAN_TYPES, type CarrierScan, type ScanType, type ShipmentEvent } from '../src/domain/index.ts';

const T0 = Date.parse('2026-03-02T06:00:00Z');
let counter = 0;
function scan(type: ScanType, minutes: number, id = `e${(counter += 1)}`): CarrierScan {
  return {
    carrierCode: 'postnl',
    trackingNumber: '3SABCD1234567',
    carrierEventId: id,
    type,
    occurredAt: new Date(T0 + minutes * 60_000),
    carrierStatusCode: type,
    description: null,
    location: null,
  };
}

describe('status fold', () => {
  it('folds a journey into its transitions', () => {
    const fold = foldScans([scan('PICKED_UP', 0), scan('IN_TRANSIT', 60), scan('OUT_FOR_DELIVERY', 600), scan('DELIVERED', 700)]);
    expect(fold.status).toBe('DELIVERED');
    expect(fold.transitions.map((t) => `${t.from}→${t.to}`)).toEqual([
      'LABEL_CREATED→PICKED_UP',
      'PICKED_UP→IN_TRANSIT',
      'IN_TRANSIT→OUT_FOR_DELIVERY',
      'OUT_FOR_DELIVERY→DELIVERED',
    ]);
    expect(fold.statusChangedAt).toEqual(new Date(T0 + 700 * 60_000));
  });

  it('orders by scan time, not arrival, and never moves back from DELIVERED', () => {
    const delivered = scan('DELIVERED', 700);
    const lateTransit = scan('IN_TRANSIT', 800); // a hub re-scan reported after delivery
    const earlyTransit = scan('IN_TRANSIT', 60);
    const fold = foldScans([delivered, lateTransit, scan('PICKED_UP', 0), earlyTransit]);
    expect(fold.status).toBe('DELIVERED');
    expect(fold.scans.map((s) => s.type)).toEqual(['PICKED_UP', 'IN_TRANSIT', 'DELIVERED', 'IN_TRANSIT']);
    expect(fold.ignored).toEqual([{ scan: lateTransit, reason: 'shipment is already DELIVERED' }]);
  });

  it('does not regress from OUT_FOR_DELIVERY to IN_TRANSIT, except back to the depot after a failed attempt', () => {
    expect(foldScans([scan('OUT_FOR_DELIVERY', 100), scan('IN_TRANSIT', 200)]).status).toBe('OUT_FOR_DELIVERY');
    const loop = foldScans([
      scan('OUT_FOR_DELIVERY', 100),
      scan('DELIVERY_ATTEMPT_FAILED', 200),
      scan('IN_TRANSIT', 300),
      scan('OUT_FOR_DELIVERY', 1500),
      scan('DELIVERED', 1600),
    ]);
    expect(loop.transitions.map((t) => t.to)).toEqual(['OUT_FOR_DELIVERY', 'DELIVERY_FAILED', 'IN_TRANSIT', 'OUT_FOR_DELIVERY', 'DELIVERED']);
  });

  it('refuses to fold scans of two shipments together', () => {
    expect(() => foldScans([scan('PICKED_UP', 0), { ...scan('IN_TRANSIT', 1), trackingNumber: 'OTHER123' }])).toThrow(/different shipments/);
  });
});

describe('applying scans as they arrive', () => {
  it('emits carrier.out_for_delivery exactly once, however often the scan is delivered', () => {
    const ofd = scan('OUT_FOR_DELIVERY', 600);
    const known = [scan('PICKED_UP', 0), scan('IN_TRANSIT', 60)];
    const first = applyScans(known, [ofd]);
    expect(first.events.map((e) => e.type)).toEqual(['carrier.out_for_delivery']);
    expect(first.events[0]).toMatchObject({
      from: 'IN_TRANSIT',
      to: 'OUT_FOR_DELIVERY',
      idempotencyKey: `postnl:3SABCD1234567:${ofd.carrierEventId}:carrier.out_for_delivery`,
    });
    expect(first.newScans).toEqual([ofd]);

    const again = applyScans([...known, ofd], [ofd, { ...ofd }]);
    expect(again.events).toEqual([]);
    expect(again.newScans).toEqual([]);
    expect(again.duplicates).toHaveLength(2);
    expect(again.statusChanged).toBe(false);

    const twiceInOneBatch = applyScans(known, [ofd, ofd]);
    expect(twiceInOneBatch.events).toHaveLength(1);
    expect(twiceInOneBatch.newScans).toHaveLength(1);
  });

  it('records a late scan without re-announcing history', () => {
    const known = [scan('PICKED_UP', 0), scan('OUT_FOR_DELIVERY', 600)];
    const late = applyScans(known, [scan('IN_TRANSIT', 60)]);
    expect(late.status).toBe('OUT_FOR_DELIVERY');
    expect(late.newTransitions).toEqual([expect.objectContaining({ from: 'PICKED_UP', to: 'IN_TRANSIT', late: true })]);
    expect(late.events).toEqual([]);

    const afterDelivery = applyScans([...known, scan('DELIVERED', 700)], [scan('IN_TRANSIT', 800)]);
    expect(afterDelivery.status).toBe('DELIVERED');
    expect(afterDelivery.newTransitions).toEqual([]);
    expect(afterDelivery.events).toEqual([]);
  });

  it('still announces a status change carried by a scan that sorts before known history', () => {
    // The carrier's clock put the delivery before the out-for-delivery scan we already had.
    const r = applyScans([scan('OUT_FOR_DELIVERY', 600)], [scan('DELIVERED', 590)]);
    expect(r.status).toBe('DELIVERED');
    expect(r.events.map((e) => e.type)).toEqual(['carrier.delivered']);
  });

  it('announces each delivery round of a failed-attempt loop', () => {
    const r = applyScans([], [scan('OUT_FOR_DELIVERY', 600), scan('DELIVERY_ATTEMPT_FAILED', 700), scan('OUT_FOR_DELIVERY', 2000), scan('DELIVERED', 2100)]);
    expect(r.events.map((e) => e.type)).toEqual(['carrier.out_for_delivery', 'carrier.delivery_failed', 'carrier.out_for_delivery', 'carrier.delivered']);
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// Properties

const scanSet = fc
  .uniqueArray(
    fc.record({
      type: fc.constantFrom(...SCAN_TYPES),
      // Few distinct minutes so that equal scan times (the tie-break) are common.
      minute: fc.integer({ min: 0, max: 40 }),
      id: fc.string({ minLength: 1, maxLength: 6 }),
    }),
    { minLength: 1, maxLength: 14, selector: (s) => s.id },
  )
  .map((items) => items.map((s) => scan(s.type, s.minute, s.id)));

/** The same scans, shuffled, with some delivered up to three times. */
const redelivered = (scans: CarrierScan[]) =>
  fc
    .tuple(
      fc.shuffledSubarray(scans, { minLength: scans.length, maxLength: scans.length }),
      fc.array(fc.nat({ max: scans.length - 1 }), { maxLength: 2 * scans.length }),
    )
    .map(([shuffled, repeats]) => [...shuffled, ...repeats.map((i) => ({ ...scans[i]! }))])
    .chain((all) => fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length }));

const outline = (f: ReturnType<typeof foldScans>) => ({
  status: f.status,
  statusChangedAt: f.statusChangedAt,
  transitions: f.transitions.map((t) => `${t.from}→${t.to}@${t.scan.carrierEventId}`),
});

describe('fold properties', () => {
  it('any permutation and duplication of a scan set folds to the same result', () => {
    fc.assert(
      fc.property(
        scanSet.chain((scans) => fc.tuple(fc.constant(scans), redelivered(scans))),
        ([scans, arrival]) => {
          expect(outline(foldScans(arrival))).toEqual(outline(foldScans(scans)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('delivered in batches in any order: every event at most once, the final status announced, the same end state', () => {
    fc.assert(
      fc.property(
        scanSet.chain((scans) => fc.tuple(fc.constant(scans), redelivered(scans), fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 40 }))),
        ([scans, arrival, batchSizes]) => {
          const stored: CarrierScan[] = [];
          const outbox = new Map<string, ShipmentEvent>();
          let rest = arrival;
          let i = 0;
          while (rest.length > 0) {
            const size = Math.max(1, batchSizes[i % batchSizes.length]!);
            i += 1;
            const r = applyScans(stored, rest.slice(0, size), { published: new Set(outbox.keys()) });
            rest = rest.slice(size);
            stored.push(...r.newScans);
            for (const e of r.events) {
              expect(outbox.has(e.idempotencyKey)).toBe(false);
              outbox.set(e.idempotencyKey, e);
            }
          }
          const all = foldScans(scans);
          expect(stored).toHaveLength(scans.length);
          expect(foldScans(stored).status).toBe(all.status);
          if (all.transitions.length > 0) expect([...outbox.values()].some((e) => e.to === all.status)).toBe(true);
          else expect(outbox.size).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never leaves DELIVERED or RETURNED_TO_SENDER once reached', () => {
    fc.assert(
      fc.property(scanSet, (scans) => {
        const fold = foldScans(scans);
        const finalAt = fold.transitions.findIndex((t) => t.to === 'DELIVERED' || t.to === 'RETURNED_TO_SENDER');
        if (finalAt >= 0) expect(finalAt).toBe(fold.transitions.length - 1);
      }),
      { numRuns: 300 },
    );
  });
});
