import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'e2e',
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Each file starts its own sandbox and server processes; running files one at a time keeps the
    // two cores of CI for those processes.
    fileParallelism: false,
  },
});
