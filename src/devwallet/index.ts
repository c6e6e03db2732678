/**
 * `keyleash/devwallet`: a real, local embedded wallet for the demo and the tests — anvil, a
 * session-key smart account, demo contracts, and an EIP-1193 provider speaking ERC-7715 (in a
 * chosen dialect), ERC-5792 and ERC-7836 — `startOpenfortBackend`, a development backend for
 * Openfort's own SDK on the same chain, `createDevOpenfort`, the SDK's own provider
 * (`@openfort/openfort-js`, which the app installs) over it in Node, and `createDevThirdweb`,
 * thirdweb's smart account (ERC-4337) owned by an EOA wallet that speaks no ERC-7715, with
 * `startBundler` (alto, on 127.0.0.1) to run its UserOperations. For local development and
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
export { type CreateDevThirdwebOptions, type DevThirdweb, createDevThirdweb, thirdwebAccountAbi } from './thirdweb/index.js'
export { type DevBundler, DevBundlerError, type StartBundlerOptions, startBundler } from './erc4337/bundler.js'
export { deployEntryPoints } from './erc4337/entryPoints.js'
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
