import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Server, CLI and database tests start real processes; keep parallelism modest on 2 cores.
    maxWorkers: 2,
  },
});
