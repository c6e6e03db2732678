/**
 * `keyleash/wallets`: the ERC-7715 dialects keyleash speaks to an inner wallet, as values. An
 * app imports the one its wallet speaks and passes it as the `wallet` option, so it ships that
 * one only; the default, `erc7715`, is in the core entry anyway. What only one wallet needs
 * lives here with its dialect: MetaMask's Advanced Permissions (`advancedPermissions`, which
 * `executionPermissions` carries) and `erc7710Executor`, Openfort's `openfortExecutor`, and for
 * accounts that speak no ERC-7715 and run their session keys through ERC-4337, their grant
 * (`thirdweb`) and `erc4337Executor` with the account family (`thirdwebAccount`).
 *
 * @example
 * import { withSessionKeys } from 'keyleash'
 * import { openfort } from 'keyleash/wallets'
 *
 * const provider = withSessionKeys(embeddedWalletProvider, { wallet: openfort })
 *
 * @module
 */
import { erc7715 as erc7715Dialect } from './permissions/dialects/erc7715.js'
import type { WalletDialect } from './permissions/dialects/types.js'
export { erc7715v2025 } from './wallets/erc7715-2025.js'
export { executionPermissions } from './wallets/executionPermissions.js'
export { advancedPermissions } from './wallets/advancedPermissions.js'
export { erc7710Executor, type Erc7710ExecutorOptions } from './execution/erc7710.js'
export { openfort, openfortWallet, type OpenfortAccountType, type OpenfortWalletOptions } from './wallets/openfort.js'
export { openfortExecutor, type OpenfortExecutorOptions, type OpenfortIntentsBackend } from './execution/openfort.js'
export { erc4337Executor, type Erc4337Account, type Erc4337ExecutorOptions } from './execution/erc4337.js'
export { thirdwebAccount, type ThirdwebAccountOptions } from './wallets/thirdweb/account.js'
export { thirdweb, type ThirdwebOptions } from './wallets/thirdweb/dialect.js'
export type { PermissionKinds, WalletCallContext, WalletDialect, WalletGrant, WalletGrantContext } from './permissions/dialects/types.js'

/**
 * viem's June 2024 shape (`erc7715Actions().grantPermissions`), the default: one request per
 * call, `expiry` in seconds. The same value keyleash uses when no `wallet` is given.
 *
 * @example
 * const provider = withSessionKeys(embeddedWalletProvider, { wallet: erc7715 })
 */
export const erc7715: WalletDialect = erc7715Dialect
