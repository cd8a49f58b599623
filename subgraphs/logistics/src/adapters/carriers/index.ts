import { BOOKABLE_CARRIERS, type Address, type BookableCarrier, type CarrierBookingAdapter } from './adapter.ts';
import { createDhlAdapter, type DhlConfig } from './dhl.ts';
import { createDpdAdapter, type DpdConfig } from './dpd.ts';
import { createGlsAdapter, type GlsConfig } from './gls.ts';
import { createInpostAdapter, type InpostConfig } from './inpost.ts';
import { createPostnlAdapter, type PostnlConfig } from './postnl.ts';
import { createUpsAdapter, type UpsConfig } from './ups.ts';

export * from './adapter.ts';

/** Booking credentials per carrier (CARRIER_CREDENTIALS, JSON); a carrier without them cannot be booked live. */
export interface CarrierCredentials {
  ups?: UpsConfig;
  dhl?: DhlConfig;
  postnl?: PostnlConfig;
  dpd?: DpdConfig;
  gls?: GlsConfig;
  inpost?: InpostConfig;
}

export function createCarrierAdapter<C extends BookableCarrier>(carrier: C, config: NonNullable<CarrierCredentials[C]>): CarrierBookingAdapter {
  switch (carrier) {
    case 'ups':
      return createUpsAdapter(config as UpsConfig);
    case 'dhl':
      return createDhlAdapter(config as DhlConfig);
    case 'postnl':
      return createPostnlAdapter(config as PostnlConfig);
    case 'dpd':
      return createDpdAdapter(config as DpdConfig);
    case 'gls':
      return createGlsAdapter(config as GlsConfig);
    case 'inpost':
      return createInpostAdapter(config as InpostConfig);
    default:
      throw new Error(`no booking adapter for carrier ${String(carrier)}`);
  }
}

/** The adapters of every carrier that has credentials. */
export function createCarrierAdapters(credentials: CarrierCredentials): Partial<Record<BookableCarrier, CarrierBookingAdapter>> {
  const adapters: Partial<Record<BookableCarrier, CarrierBookingAdapter>> = {};
  for (const carrier of BOOKABLE_CARRIERS) {
    const config = credentials[carrier];
    if (config) adapters[carrier] = createCarrierAdapter(carrier, config as never);
  }
  return adapters;
}

export type { Address };
