export * from './defaults.ts';
export * from './keys.ts';
export * from './locales.ts';
export * from './render.ts';
