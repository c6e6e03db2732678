import { readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SmartAccountsEnvironment } from '@metamask/smart-accounts-kit'
import { devClients } from '../../src/devwallet/wallet.js'
import { deployDelegationFramework } from '../../src/devwallet/metamask/framework.js'
import { useSharedChain } from './chain.js'

/** Where the run's deployment is written, one per chain (named by its port), for every test file's process to read. */
function environmentPath(rpcUrl: string): string {
  return join(tmpdir(), `keyleash-metamask-${new URL(rpcUrl).port}.json`)
}

let environment: SmartAccountsEnvironment | undefined

/**
 * `useSharedChain()` for files that run the development MetaMask: MetaMask's Delegation Framework
 * (39 transactions) is deployed once per test run, before the first such file's snapshot, so no
 * file's revert removes it; later files read its addresses and reuse it (checked by its code).
 *
 * @example
 * const { rpcUrl, framework } = useMetaMaskChain()
 * beforeAll(async () => { metamask = await createDevMetaMask({ rpcUrl, environment: framework() }) })
 */
export function useMetaMaskChain() {
  const chain = useSharedChain({
    async beforeSnapshot(rpcUrl) {
      const path = environmentPath(rpcUrl)
      let known: SmartAccountsEnvironment | undefined
      try {
        known = JSON.parse(readFileSync(path, 'utf8')) as SmartAccountsEnvironment
      } catch {
        // First file of the run: nothing deployed yet.
      }
      const { publicClient, relayerClient } = await devClients(rpcUrl)
      environment = await deployDelegationFramework(relayerClient, publicClient, known)
      writeFileSync(path, JSON.stringify(environment))
    },
  })
  return {
    ...chain,
    framework(): SmartAccountsEnvironment {
      if (!environment) throw new Error('the framework is deployed in beforeAll: call framework() from a hook or a test')
      return environment
    },
  }
}
