// Self-tests of the end-to-end harness (test/harness/): Chromium's switches, WebRTC in the namespace, the page-side
// segment hashing. Not product tests, so not counted among test:e2e; `npm run test:harness` (.ci/run runs it
// before `npm test`, so a broken harness is told apart from a broken product). Same namespace as the e2e tests:
//   bash test/e2e/netns.sh npx vitest run -c vitest.harness.config.ts
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/harness/**/*.harness.test.ts'],
    environment: 'node',
    globalSetup: ['test/e2e/harness/globalSetup.ts'],
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
  },
});
