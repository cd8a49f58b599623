import type { PlatformSim } from '../sim-kit.ts';
import { lazadaSim } from './lazada.ts';
import { shopifySim } from './shopify.ts';
import { woocommerceSim } from './woocommerce.ts';

export const PLATFORM_SIMS: readonly PlatformSim[] = [shopifySim, woocommerceSim, lazadaSim];
