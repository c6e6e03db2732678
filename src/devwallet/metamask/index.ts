import type { CreateDevMetaMaskOptions, DevMetaMask } from './types.js'

export type { CreateDevMetaMaskOptions, DelegationEnvironment, DevMetaMask } from './types.js'

/**
 * A development MetaMask on MetaMask's real Delegation Framework, **for local development and
 * tests only** (its keys live in memory and it approves everything unless told otherwise). It
 * deploys the framework on the chain with the Smart Accounts Kit, makes the user a Hybrid
 * DeleGator (`toMetaMaskSmartAccount`, deployed and funded), and answers MetaMask's Advanced
 * Permissions methods: `wallet_requestExecutionPermissions` (a delegation to `to` per
 * permission, its caveats built by MetaMask's own builders, signed by the account),
 * `wallet_getGrantedExecutionPermissions`, `wallet_getSupportedExecutionPermissions` and
 * `wallet_revokeExecutionPermission` (`DelegationManager.disableDelegation` on chain). Grants and
 * revocations are confirmed by `approve`. Set `DO_NOT_TRACK=1` before loading it: the kit posts
 * analytics otherwise. Needs `@metamask/smart-accounts-kit`, `@metamask/7715-permission-types` and
 * `@metamask/delegation-abis` installed; they are loaded only when it is called.
 *
 * @example
 * import { createDevMetaMask, startDevChain } from 'keyleash/devwallet'
 * import { withSessionKeys } from 'keyleash'
 * import { erc7710Executor, executionPermissions } from 'keyleash/wallets'
 *
 * const chain = await startDevChain()
 * const metamask = await createDevMetaMask({ rpcUrl: chain.rpcUrl })
 * const provider = withSessionKeys(metamask.provider, { wallet: executionPermissions, executor: erc7710Executor() })
 */
export async function createDevMetaMask(options: CreateDevMetaMaskOptions): Promise<DevMetaMask> {
  const { devMetaMask } = await import('./wallet.js')
  return devMetaMask(options)
}
