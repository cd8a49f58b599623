/** The logistics domain core: pure functions and types, no database or GraphQL. */
export * from './geo.ts';
export * from './tariffs.ts';
export * from './cost-engine.ts';
export * from './orchestration.ts';
export * from './tariff-csv.ts';
export * from './scans.ts';
export * from './carrier-webhooks.ts';
export * from './release.ts';
export * from './time.ts';
export * from './pickup-locations.ts';
