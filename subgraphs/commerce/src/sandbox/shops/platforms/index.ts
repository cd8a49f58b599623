import type { PlatformSim } from '../sim-kit.ts';
import { aliexpressSim } from './aliexpress.ts';
import { bigcommerceSim } from './bigcommerce.ts';
import { bolcomSim } from './bolcom.ts';
import { lazadaSim } from './lazada.ts';
import { lightspeedSim } from './lightspeed.ts';
import { odooSim } from './odoo.ts';
import { prestashopSim } from './prestashop.ts';
import { shopeeSim } from './shopee.ts';
import { shopifySim } from './shopify.ts';
import { shopwareSim } from './shopware.ts';
import { vintedSim } from './vinted.ts';
import { woocommerceSim } from './woocommerce.ts';

export const PLATFORM_SIMS: readonly PlatformSim[] = [
  shopifySim,
  woocommerceSim,
  lazadaSim,
  bigcommerceSim,
  lightspeedSim,
  vintedSim,
  shopwareSim,
  bolcomSim,
  shopeeSim,
  odooSim,
  aliexpressSim,
  prestashopSim,
];
