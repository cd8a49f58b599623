export * from './capture-server.ts';
