import { defineConfig } from 'vitest/config';

// Each test runs the script and the AWS CLI many times against a sandbox it starts, so the timeouts are long.
export default defineConfig({
  test: {
    name: 'setup',
    include: ['test/**/*.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 120_000,
    // The tests mostly wait on AWS CLI processes and sandbox delays, so two files at a time finish sooner.
    maxWorkers: 2,
    // A project with its own worker count runs in its own group, after server, sandbox and web.
    sequence: { groupOrder: 1 },
  },
});
