import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // Real models and native indexes are heavy; two cores here, so keep forks modest.
    pool: 'forks',
    maxWorkers: 2,
  },
});
