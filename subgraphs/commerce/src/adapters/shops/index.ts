export * from './connector.ts';
export * from './errors.ts';
export { formatMinorUnits, toMinorUnits, currencyExponent, fractionToMinorUnits } from './money.ts';
export type { HttpOptions } from './http.ts';
export { CONNECTORS, getConnector, isPlatformCode, listConnectors } from './registry.ts';
