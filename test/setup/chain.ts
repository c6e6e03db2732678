import { rmSync } from 'node:fs'
import type { TestProject } from 'vitest/node'
import { startDevChain } from '../../src/devwallet/chain.js'
import { chainLockPath } from '../utils/chain.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** JSON-RPC URL of the anvil chain shared by the whole run; use `useSharedChain()` to isolate. */
    rpcUrl: string
  }
}

/** vitest globalSetup: one anvil per run, shared by every test file. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = performance.now()
  const chain = await startDevChain()
  if (process.env.KEYLEASH_TIMINGS) console.log(`anvil ready in ${Math.round(performance.now() - started)} ms at ${chain.rpcUrl}`)
  rmSync(chainLockPath(chain.rpcUrl), { force: true })
  project.provide('rpcUrl', chain.rpcUrl)
  return async () => {
    await chain.stop()
    rmSync(chainLockPath(chain.rpcUrl), { force: true })
  }
}
