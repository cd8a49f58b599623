import { DateTime, JSONScalar, auditLogResolvers, auditTrailRoot, servedByGateway } from '@ipay/platform';
import { auditHead, auditLog } from '../db/schema.ts';
import type { Resolvers } from '../generated/graphql.ts';
import { Mutation } from './mutation.ts';
import { Order } from './order.ts';
import { Query } from './query.ts';
import { Return, ReturnShipment } from './returns.ts';
import { Shipment } from './shipment.ts';
import { Quote, QuoteCarrierCost } from './quotes.ts';
import { PickupInstructions, PickupLocation } from './pickup-locations.ts';
import { valueTypes } from './types.ts';

export const resolvers: Resolvers = {
  Query,
  Mutation,
  Shipment,
  Order,
  Return,
  ReturnShipment,
  Quote,
  QuoteCarrierCost,
  PickupLocation,
  PickupInstructions,
  ...valueTypes,
  ShipmentEvent: {
    shipment: (event, _, { loaders }) =>
      event.subjectType === 'Shipment'
        ? loaders.shipmentById.load(event.subjectId)
        : event.orderId
          ? loaders.latestShipmentByOrderId.load(event.orderId)
          : null,
    order: (event) => (event.orderId ? { id: event.orderId } : null),
  },
  Subscription: { shipmentEvents: servedByGateway },
  AuditTrail: { logistics: auditTrailRoot },
  AuditLog: auditLogResolvers({ auditLog, auditHead }),
  DateTime,
  JSON: JSONScalar,
};
