import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'e2e',
    include: ['test/**/*.test.ts'],
    // The AWS SDK warns once per process that its 2027 releases need Node 22; the tests run on Node 20.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Each file starts its own sandbox and server processes; running files one at a time keeps the
    // two cores of CI for those processes.
    fileParallelism: false,
    // Runs last, alone, after the other projects have released the cores.
    sequence: { groupOrder: 2 },
  },
});
