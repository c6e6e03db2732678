import type { Address, Hex } from 'viem'
import type { ApprovalPrompt } from '../context.js'
import type { DevWalletProvider } from '../provider.js'

// The development MetaMask's public types, apart from its body: keyleash/devwallet's types must
// not import MetaMask's kit, an optional peer an app may not have installed.

/**
 * Where MetaMask's Delegation Framework is deployed on a chain: the shape of the Smart Accounts
 * Kit's `SmartAccountsEnvironment`, written here so that these types need no kit.
 *
 * @example
 * const manager = metamask.environment.DelegationManager
 */
export type DelegationEnvironment = {
  /** The DelegationManager: redeems and disables delegations. */
  DelegationManager: Hex
  /** The ERC-4337 EntryPoint the DeleGators use. */
  EntryPoint: Hex
  /** The factory that deploys DeleGators. */
  SimpleFactory: Hex
  /** The DeleGator implementations, by name. */
  implementations: { [implementation: string]: Hex }
  /** The caveat enforcers, by name. */
  caveatEnforcers: { [enforcer: string]: Hex }
}

/** Options of {@link createDevMetaMask}. */
export type CreateDevMetaMaskOptions = {
  /** JSON-RPC URL of an anvil chain, e.g. `startDevChain()`'s `rpcUrl`. */
  rpcUrl: string
  /**
   * The confirmation screen's stand-in: `true` approves, `false` rejects with 4001. Default:
   * approve everything. For `wallet_requestExecutionPermissions` it may also answer as a user who
   * edits the screen: `{ adjust: [data, …] }`, per request in order, the fields of
   * `permission.data` the user changed (wire shape, e.g. `{ periodAmount: '0x28' }`; `undefined`
   * leaves a request as asked). Only a request with `isAdjustmentAllowed: true` may be adjusted.
   */
  approve?: ((prompt: ApprovalPrompt) => boolean | { adjust: readonly (Record<string, unknown> | undefined)[] } | Promise<boolean | { adjust: readonly (Record<string, unknown> | undefined)[] }>) | undefined
  /** A Delegation Framework already deployed on this chain (e.g. by a test run's global setup); default: deploy it, once per process and chain. */
  environment?: DelegationEnvironment
  /** A demo ERC-20 to hold instead of deploying one. */
  token?: Address
  /**
   * Deploy the account now (default), or leave it counterfactual: grants then name its factory in
   * `dependencies`, and whoever redeems first deploys it, as with a new MetaMask smart account.
   */
  deployAccount?: boolean
}

/** A running development MetaMask: see {@link createDevMetaMask}. */
export type DevMetaMask = {
  /** The EIP-1193 provider, speaking `wallet_requestExecutionPermissions` as MetaMask does. */
  provider: DevWalletProvider
  /** The user's Hybrid DeleGator smart account (`eth_accounts`), funded with 10 ETH and 1,000,000 demo tokens. */
  account: Address
  /** The EOA that owns the account; its key never leaves the wallet. */
  owner: Address
  /** The deployed Delegation Framework (DelegationManager, EntryPoint, enforcers …). */
  environment: DelegationEnvironment
  /** The demo ERC-20 (`mint(address,uint256)`) the account holds. */
  contracts: { token: Address }
  /** How many times the approval hook has been asked. */
  readonly prompts: number
  /** Closes the provider: every later request is a 4900. */
  close(): Promise<void>
}
