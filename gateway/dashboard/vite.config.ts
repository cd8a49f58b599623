import { defineConfig } from 'vite';

// Built into dist/ and served by the gateway at /dashboard/ (gateway/src/dashboard.ts); nothing from a CDN.
export default defineConfig({
  root: import.meta.dirname,
  base: '/dashboard/',
  logLevel: 'warn',
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1024 },
});
