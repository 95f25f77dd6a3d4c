// Chaos and load tests (issue 4): real Chromium, failing peers/servers/workers, and a server load test.
// Slower than test:e2e, so a separate command that .ci/run also runs:
//   bash test/e2e/netns.sh npx vitest run -c vitest.chaos.config.ts
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/chaos/**/*.chaos.test.ts'],
    environment: 'node',
    globalSetup: ['test/e2e/harness/globalSetup.ts'],
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 180_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
  },
});
