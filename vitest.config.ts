import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    // One anvil for the whole run; files isolate with test/utils/chain.ts `useSharedChain()`.
    globalSetup: ['test/setup/chain.ts', 'test/setup/redis.ts'],
  },
})
