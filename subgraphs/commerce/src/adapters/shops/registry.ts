import type { Connector, PlatformCode } from './connector.ts';
import { aliexpress } from './connectors/aliexpress.ts';
import { allegro } from './connectors/allegro.ts';
import { amazon } from './connectors/amazon.ts';
import { bigcommerce } from './connectors/bigcommerce.ts';
import { bolcom } from './connectors/bolcom.ts';
import { etsy } from './connectors/etsy.ts';
import { lazada } from './connectors/lazada.ts';
import { lightspeed } from './connectors/lightspeed.ts';
import { magento } from './connectors/magento.ts';
import { odoo } from './connectors/odoo.ts';
import { prestashop } from './connectors/prestashop.ts';
import { shopee } from './connectors/shopee.ts';
import { shopify } from './connectors/shopify.ts';
import { shopware } from './connectors/shopware.ts';
import { temu } from './connectors/temu.ts';
import { tiktok } from './connectors/tiktok.ts';
import { vinted } from './connectors/vinted.ts';
import { woocommerce } from './connectors/woocommerce.ts';

/** Every connector, keyed by platform code. */
export const CONNECTORS: Readonly<Record<PlatformCode, Connector>> = Object.freeze({
  shopify,
  woocommerce,
  prestashop,
  magento,
  bigcommerce,
  odoo,
  shopware,
  lightspeed,
  bolcom,
  amazon,
  lazada,
  shopee,
  tiktok,
  temu,
  aliexpress,
  vinted,
  allegro,
  etsy,
});

export function listConnectors(kind?: Connector['kind']): Connector[] {
  return Object.values(CONNECTORS).filter((c) => !kind || c.kind === kind);
}

export function isPlatformCode(code: string): code is PlatformCode {
  return Object.hasOwn(CONNECTORS, code);
}

export function getConnector(platform: string): Connector {
  if (!isPlatformCode(platform)) throw new RangeError(`unknown platform "${platform}" (known: ${Object.keys(CONNECTORS).join(', ')})`);
  return CONNECTORS[platform];
}
