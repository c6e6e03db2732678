import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    // MetaMask's Smart Accounts Kit posts analytics unless DO_NOT_TRACK is set before it loads;
    // workers (and the processes tests start) inherit this.
    env: { DO_NOT_TRACK: '1' },
    // One anvil for the whole run; files isolate with test/utils/chain.ts `useSharedChain()`.
    globalSetup: ['test/setup/chain.ts', 'test/setup/redis.ts'],
    // The last line of a run names the suites a bare machine skipped and how to enable them.
    reporters: ['default', './test/setup/skippedSuites.ts'],
  },
})
