import { sandboxId } from '@ipay/platform';
import type { OpeningDay, PickupLocationKind } from '../domain/index.ts';

/** A sandbox pickup point or locker, as an operator would save it. */
export interface SandboxPickupLocation {
  id: string;
  carrierCode: string;
  carrierLocationId: string;
  kind: PickupLocationKind;
  name: string;
  address: { line1: string; line2: string | null; postalCode: string; city: string; country: string };
  latitude: number;
  longitude: number;
  timeZone: string;
  openingHours: OpeningDay[];
  validFrom: string;
  validTo: string | null;
}

const days = (weekdays: OpeningDay['weekday'][], periods: OpeningDay['periods']): OpeningDay[] => weekdays.map((weekday) => ({ weekday, periods }));
const MON_FRI = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'] as OpeningDay['weekday'][];
const ALL_WEEK = [...MON_FRI, 'SATURDAY', 'SUNDAY'] as OpeningDay['weekday'][];
/** Lockers are open around the clock. */
const ALWAYS = days(ALL_WEEK, [{ opens: '00:00', closes: '24:00' }]);

const location = (l: Omit<SandboxPickupLocation, 'id' | 'validFrom' | 'validTo'> & { validFrom?: string; validTo?: string | null }): SandboxPickupLocation => ({
  id: sandboxId('pul', `${l.carrierCode}:${l.carrierLocationId}`),
  validFrom: '2026-01-01',
  validTo: null,
  ...l,
});

/**
 * The sandbox's carrier network: pickup points (shop counters with their opening hours, lunch breaks included) and
 * lockers in the merchants' countries and their neighbours, each in its own time zone.
 */
export const SANDBOX_PICKUP_LOCATIONS: readonly SandboxPickupLocation[] = [
  location({
    carrierCode: 'postnl',
    carrierLocationId: '176227',
    kind: 'PICKUP_POINT',
    name: 'PostNL-punt Primera Damrak',
    address: { line1: 'Damrak 70', line2: null, postalCode: '1012 LM', city: 'Amsterdam', country: 'NL' },
    latitude: 52.3752,
    longitude: 4.8958,
    timeZone: 'Europe/Amsterdam',
    openingHours: [...days(MON_FRI, [{ opens: '08:30', closes: '18:00' }]), ...days(['SATURDAY'], [{ opens: '09:00', closes: '17:00' }])],
  }),
  location({
    carrierCode: 'postnl',
    carrierLocationId: '204581',
    kind: 'PICKUP_POINT',
    name: 'PostNL-punt Bruna Rotterdam Centraal',
    address: { line1: 'Stationsplein 1', line2: null, postalCode: '3013 AJ', city: 'Rotterdam', country: 'NL' },
    latitude: 51.9244,
    longitude: 4.469,
    timeZone: 'Europe/Amsterdam',
    openingHours: [...days(MON_FRI, [{ opens: '07:00', closes: '21:00' }]), ...days(['SATURDAY', 'SUNDAY'], [{ opens: '09:00', closes: '18:00' }])],
  }),
  location({
    carrierCode: 'dhl',
    carrierLocationId: 'NL-101304',
    kind: 'PICKUP_POINT',
    name: 'DHL ServicePoint Albert Heijn Nieuwmarkt',
    address: { line1: 'Nieuwmarkt 18', line2: null, postalCode: '1012 CR', city: 'Amsterdam', country: 'NL' },
    latitude: 52.3725,
    longitude: 4.9003,
    timeZone: 'Europe/Amsterdam',
    openingHours: days(ALL_WEEK, [{ opens: '08:00', closes: '22:00' }]),
  }),
  location({
    carrierCode: 'dhl',
    carrierLocationId: 'SE-5130',
    kind: 'PICKUP_POINT',
    name: 'DHL Servicepoint Pressbyrån Centralstationen',
    address: { line1: 'Centralplan 15', line2: null, postalCode: '111 20', city: 'Stockholm', country: 'SE' },
    latitude: 59.3303,
    longitude: 18.0586,
    timeZone: 'Europe/Stockholm',
    openingHours: [...days(MON_FRI, [{ opens: '06:30', closes: '22:00' }]), ...days(['SATURDAY', 'SUNDAY'], [{ opens: '08:00', closes: '22:00' }])],
  }),
  location({
    carrierCode: 'dpd',
    carrierLocationId: 'BE10842',
    kind: 'PICKUP_POINT',
    name: 'DPD Pickup Librairie Chez Lucie',
    address: { line1: 'Rue du Marché aux Herbes 52', line2: null, postalCode: '1000', city: 'Bruxelles', country: 'BE' },
    latitude: 50.8466,
    longitude: 4.3546,
    timeZone: 'Europe/Brussels',
    openingHours: [
      ...days(MON_FRI, [
        { opens: '09:00', closes: '12:30' },
        { opens: '13:30', closes: '18:30' },
      ]),
      ...days(['SATURDAY'], [{ opens: '10:00', closes: '17:00' }]),
    ],
  }),
  location({
    carrierCode: 'gls',
    carrierLocationId: 'IT00RM0412',
    kind: 'PICKUP_POINT',
    name: 'GLS ParcelShop Tabaccheria Pantheon',
    address: { line1: 'Via della Rotonda 21', line2: null, postalCode: '00186', city: 'Roma', country: 'IT' },
    latitude: 41.8986,
    longitude: 12.4769,
    timeZone: 'Europe/Rome',
    openingHours: [
      ...days(MON_FRI, [
        { opens: '08:00', closes: '13:00' },
        { opens: '16:00', closes: '20:00' },
      ]),
      ...days(['SATURDAY'], [{ opens: '08:00', closes: '13:00' }]),
    ],
  }),
  location({
    carrierCode: 'ups',
    carrierLocationId: 'U66150742',
    kind: 'PICKUP_POINT',
    name: 'UPS Access Point Cartoleria Corso',
    address: { line1: 'Via del Corso 305', line2: null, postalCode: '00186', city: 'Roma', country: 'IT' },
    latitude: 41.8995,
    longitude: 12.481,
    timeZone: 'Europe/Rome',
    openingHours: [
      ...days(MON_FRI, [
        { opens: '09:30', closes: '13:30' },
        { opens: '15:30', closes: '19:30' },
      ]),
      ...days(['SATURDAY'], [{ opens: '09:30', closes: '13:30' }]),
    ],
  }),
  location({
    carrierCode: 'inpost',
    carrierLocationId: 'AMS01M',
    kind: 'LOCKER',
    name: 'InPost Locker Amsterdam Centraal',
    address: { line1: 'Stationsplein 15', line2: 'next to the bicycle parking', postalCode: '1012 AB', city: 'Amsterdam', country: 'NL' },
    latitude: 52.3784,
    longitude: 4.9005,
    timeZone: 'Europe/Amsterdam',
    openingHours: ALWAYS,
  }),
  location({
    carrierCode: 'inpost',
    carrierLocationId: 'RM0142M',
    kind: 'LOCKER',
    name: 'InPost Locker Roma Termini',
    address: { line1: 'Piazza dei Cinquecento 1', line2: null, postalCode: '00185', city: 'Roma', country: 'IT' },
    latitude: 41.901,
    longitude: 12.5014,
    timeZone: 'Europe/Rome',
    openingHours: ALWAYS,
  }),
  location({
    carrierCode: 'inpost',
    carrierLocationId: 'WAW23M',
    kind: 'LOCKER',
    name: 'Paczkomat InPost WAW23M',
    address: { line1: 'ul. Marszałkowska 104', line2: null, postalCode: '00-017', city: 'Warszawa', country: 'PL' },
    latitude: 52.233,
    longitude: 21.0107,
    timeZone: 'Europe/Warsaw',
    openingHours: ALWAYS,
  }),
  location({
    // A locker inside a station hall, closed at night.
    carrierCode: 'dhl',
    carrierLocationId: 'SE-PB-8812',
    kind: 'LOCKER',
    name: 'DHL Paketbox Stockholm Odenplan',
    address: { line1: 'Odenplan 1', line2: 'Pendeltåg station hall', postalCode: '113 22', city: 'Stockholm', country: 'SE' },
    latitude: 59.343,
    longitude: 18.0497,
    timeZone: 'Europe/Stockholm',
    openingHours: days(ALL_WEEK, [{ opens: '05:00', closes: '24:00' }]),
  }),
];
