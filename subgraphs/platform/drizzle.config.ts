import { defineConfig } from 'drizzle-kit';

// The SQL event bus's own schema (events.*); applied by whoever opens the bus.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/events/log-schema.ts',
  out: './drizzle',
  schemaFilter: ['events'],
});
