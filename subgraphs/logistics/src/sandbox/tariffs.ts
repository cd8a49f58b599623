import { TARIFF_CSV_COLUMNS, type TariffCsvColumn } from '../domain/index.ts';

/**
 * The sandbox tariff book, as the rate sheet an operator would import: six carriers, EUR, destinations NL, DE, BE,
 * SE and IT, valid from 2026-01-01. Prices are invented but shaped like real ones (a home-market discount, heavier
 * bands, a fuel surcharge, remote-area fees for the Wadden islands and Italy's islands, oversize fees).
 */
const COUNTRIES = ['NL', 'DE', 'BE', 'SE', 'IT'] as const;
const WEIGHTS = [2000, 5000, 10000, 20000] as const;

interface Service {
  level: string;
  methods: string;
  /** Base price of the lightest band per destination, in cents. */
  base: Record<(typeof COUNTRIES)[number], number>;
  /** Added per heavier band. */
  step: number;
  lockerVolumes?: readonly number[];
}

interface CarrierSheet {
  code: string;
  fuelBasisPoints: number;
  limits: { longest: number; girth: number };
  oversize: { longest: number; girth: number; amount: number } | null;
  remote: boolean;
  services: Service[];
}

const eu = (nl: number, de: number, be: number, se: number, it: number) => ({ NL: nl, DE: de, BE: be, SE: se, IT: it });

export const SANDBOX_TARIFF_SHEETS: readonly CarrierSheet[] = [
  {
    code: 'ups',
    fuelBasisPoints: 1850,
    limits: { longest: 2740, girth: 4190 },
    oversize: { longest: 1200, girth: 3000, amount: 2400 },
    remote: true,
    services: [
      { level: 'STANDARD', methods: 'DOOR', base: eu(895, 995, 945, 1495, 1395), step: 300 },
      { level: 'EXPRESS', methods: 'DOOR', base: eu(1595, 1695, 1645, 2195, 2095), step: 450 },
    ],
  },
  {
    code: 'dhl',
    fuelBasisPoints: 1525,
    limits: { longest: 1200, girth: 3000 },
    oversize: { longest: 1000, girth: 2500, amount: 1500 },
    remote: true,
    services: [
      { level: 'STANDARD', methods: 'DOOR', base: eu(745, 695, 795, 1295, 1195), step: 250 },
      { level: 'EXPRESS', methods: 'DOOR', base: eu(1395, 1295, 1445, 1995, 1895), step: 400 },
      { level: 'PICKUP_POINT', methods: 'PICKUP_POINT', base: eu(595, 545, 645, 1095, 995), step: 200 },
    ],
  },
  {
    code: 'postnl',
    fuelBasisPoints: 900,
    limits: { longest: 1750, girth: 3000 },
    oversize: null,
    remote: true,
    services: [
      { level: 'STANDARD', methods: 'DOOR', base: eu(695, 995, 895, 1395, 1395), step: 225 },
      { level: 'PICKUP_POINT', methods: 'PICKUP_POINT', base: eu(595, 895, 795, 1295, 1295), step: 200 },
    ],
  },
  {
    code: 'dpd',
    fuelBasisPoints: 1200,
    limits: { longest: 1750, girth: 3000 },
    oversize: { longest: 1200, girth: 2600, amount: 1800 },
    remote: false,
    services: [
      { level: 'STANDARD', methods: 'DOOR', base: eu(795, 745, 795, 1245, 1145), step: 250 },
      { level: 'PICKUP_POINT', methods: 'PICKUP_POINT', base: eu(645, 595, 645, 1095, 995), step: 200 },
    ],
  },
  {
    code: 'gls',
    fuelBasisPoints: 1100,
    limits: { longest: 2000, girth: 3000 },
    oversize: null,
    remote: true,
    services: [{ level: 'STANDARD', methods: 'DOOR', base: eu(775, 725, 775, 1195, 1095), step: 240 }],
  },
  {
    code: 'inpost',
    fuelBasisPoints: 800,
    limits: { longest: 640, girth: 1780 },
    oversize: null,
    remote: false,
    // Lockers price by compartment (A 8×38×64 cm, B 19×38×64, C 41×38×64), up to 25 kg.
    services: [{ level: 'LOCKER', methods: 'LOCKER', base: eu(495, 595, 545, 995, 895), step: 150, lockerVolumes: [19456, 46208, 99712] }],
  },
];

const REMOTE_AREAS = [
  { country: 'NL', postcodes: '1791..1797;8881..8899;9161..9166', amount: 350 },
  { country: 'IT', postcodes: '07000..09199;90010..98168', amount: 595 },
];

function line(values: Partial<Record<TariffCsvColumn, string | number>>): string {
  return TARIFF_CSV_COLUMNS.map((c) => {
    const v = values[c];
    if (v === undefined) return '';
    const text = String(v);
    return /[",;\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  }).join(',');
}

/** The sandbox rate sheet as CSV (it goes through importTariffCsv like any operator's file). */
export function sandboxTariffCsv(): string {
  const rows = [TARIFF_CSV_COLUMNS.join(',')];
  const validFrom = '2026-01-01';
  for (const sheet of SANDBOX_TARIFF_SHEETS) {
    for (const service of sheet.services) {
      for (const country of COUNTRIES) {
        const common = {
          kind: 'BAND',
          carrier: sheet.code,
          service_level: service.level,
          delivery_methods: service.methods,
          valid_from: validFrom,
          currency: 'EUR',
          zone: country,
          country,
          volumetric_divisor: 5000,
          limit_longest_side_mm: sheet.limits.longest,
          limit_length_plus_girth_mm: sheet.limits.girth,
        };
        if (service.lockerVolumes) {
          service.lockerVolumes.forEach((volume, i) =>
            rows.push(line({ ...common, max_weight_g: 25000, max_volume_cm3: volume, amount_minor: service.base[country] + i * service.step })),
          );
        } else {
          WEIGHTS.forEach((weight, i) => rows.push(line({ ...common, max_weight_g: weight, amount_minor: service.base[country] + i * service.step })));
        }
      }
    }
    rows.push(line({ kind: 'FUEL', carrier: sheet.code, valid_from: validFrom, basis_points: sheet.fuelBasisPoints }));
    if (sheet.remote) {
      for (const area of REMOTE_AREAS) {
        rows.push(
          line({
            kind: 'REMOTE_AREA',
            carrier: sheet.code,
            valid_from: validFrom,
            country: area.country,
            postcodes: area.postcodes,
            currency: 'EUR',
            amount_minor: area.amount,
          }),
        );
      }
    }
    if (sheet.oversize) {
      rows.push(
        line({
          kind: 'OVERSIZE',
          carrier: sheet.code,
          valid_from: validFrom,
          currency: 'EUR',
          amount_minor: sheet.oversize.amount,
          over_longest_side_mm: sheet.oversize.longest,
          over_length_plus_girth_mm: sheet.oversize.girth,
        }),
      );
    }
  }
  return rows.join('\n');
}
