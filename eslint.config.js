// ESLint with typescript-eslint's strict rules over every hand-written TypeScript file (generated code and build
// output are out). `pnpm lint` runs it; CI runs it before the tests.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/node_modules/**', '**/dist/**', '**/generated/**', 'schema/**', '**/drizzle/**', 'scripts/bench/results/**', '**/*.d.ts'],
  },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    rules: {
      // tsconfig has noUncheckedIndexedAccess: every `xs[i]` and regex group is `T | undefined`, and `!` after a
      // bounds or match check is the idiom; a rule against it would push code towards casts, which check less.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // A leading underscore marks a deliberately unused binding (rest-sibling omission, positional parameters).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Simulators of third-party shop and carrier APIs read and echo those APIs' JSON as it comes.
    files: ['subgraphs/commerce/src/sandbox/shops/**', 'subgraphs/logistics/src/sandbox/carriers.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    // Tests and benchmarks read untyped JSON bodies from HTTP responses; `any` there is the honest type.
    files: ['**/test/**', '**/*.test.ts', 'subgraphs/system/e2e/**', 'scripts/faults/**', 'scripts/bench/**', 'subgraphs/platform/src/testing.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
