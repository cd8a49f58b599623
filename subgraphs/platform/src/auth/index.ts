export * from './guard.ts';
export * from './permissions.ts';
export * from './principal.ts';
