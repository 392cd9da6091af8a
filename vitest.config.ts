import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['server', 'sandbox', 'setup', 'web', 'e2e'],
  },
});
