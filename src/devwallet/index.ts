/**
 * `keyleash/devwallet`: a real, local embedded wallet for the demo and the tests — anvil, a
 * session-key smart account, demo contracts, and an EIP-1193 provider speaking ERC-7715 (in a
 * chosen dialect), ERC-5792 and ERC-7836 — `startOpenfortBackend`, a development backend for
 * Openfort's own SDK on the same chain, and `createDevOpenfort`, the SDK's own provider
 * (`@openfort/openfort-js`, which the app installs) over it in Node. For local development and
 * tests only.
 *
 * @example
 * import { createDevWallet, startDevChain } from 'keyleash/devwallet'
 *
 * const chain = await startDevChain()
 * const wallet = await createDevWallet({ rpcUrl: chain.rpcUrl })
 *
 * @module
 */
export { DevChainError, type DevChain, type StartDevChainErrorType, type StartDevChainOptions, startDevChain } from './chain.js'
export { type CreateDevWalletOptions, type DevWallet, createDevWallet, fund } from './wallet.js'
export {
  type ConnectedDevWallet,
  type DevWalletClientProvider,
  type DevWalletInfo,
  type ServeDevWalletOptions,
  type ServedDevWallet,
  connectDevWallet,
  serveDevWallet,
} from './serve.js'
export { type CreateDevMetaMaskOptions, type DelegationEnvironment, type DevMetaMask, createDevMetaMask } from './metamask/index.js'
export type { DevWalletProvider } from './provider.js'
export { devWalletDialects, type DevWalletDialectName } from './dialects.js'
export {
  type OpenfortAccount,
  type OpenfortAccountType,
  type OpenfortBackend,
  type OpenfortRequestRecord,
  type OpenfortSession,
  type StartOpenfortBackendOptions,
  startOpenfortBackend,
} from './openfort/backend.js'
export {
  type CreateDevOpenfortOptions,
  type DevOpenfort,
  type OpenfortProvider,
  type OpenfortSigner,
  createDevOpenfort,
} from './openfort/sdk.js'
export type { ApprovalPrompt, Approve } from './context.js'
export type { CallsStatus } from './calls.js'
export type {
  PrepareCallsParameters,
  PrepareCallsReturnType,
  PreparedCallsContext,
  PreparedCallsKey,
  SendPreparedCallsParameters,
} from './prepared.js'
export type { RevertErrorData } from './errors.js'
export {
  ANY_SELECTOR,
  type AccountCall,
  type DeployerClient,
  type DevContracts,
  type ExecuteTypedData,
  SESSION_ACCOUNT_DOMAIN,
  type SessionScope,
  type TokenAllowance,
  deployDemoNft,
  deployDemoToken,
  deployDevContracts,
  deploySessionAccount,
  executeTypedData,
  executeTypes,
  randomExecuteNonce,
} from './contracts.js'
export { demoNftAbi, demoTokenAbi, sessionAccountAbi } from './artifacts.js'
