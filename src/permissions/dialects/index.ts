import { erc7715v2025 as erc7715v2025Wallet } from '../../wallets/erc7715-2025.js'
import { executionPermissions as executionPermissionsWallet } from '../../wallets/executionPermissions.js'
import { openfort } from '../../wallets/openfort.js'
import { erc7715 } from './erc7715.js'
import { erc7715v2025 } from './erc7715-2025.js'
import { executionPermissions } from './executionPermissions.js'
import type { AppDialect, WalletDialect, WalletDialectName } from './types.js'

/** Every wallet dialect by name: adding a wallet is adding one file in `src/wallets/` and one entry here. */
export const walletDialects: Readonly<Record<WalletDialectName, WalletDialect>> = {
  erc7715,
  'erc7715-2025': erc7715v2025Wallet,
  'execution-permissions': executionPermissionsWallet,
  openfort,
}

/**
 * Which draft an app's grant is in. `wallet_grantPermissions` carries two: viem's June 2024
 * single object (no `chainId`), and the 2025 list, whose every request names its chain.
 */
export function appDialectOf(method: 'wallet_grantPermissions' | 'wallet_requestExecutionPermissions', params: unknown): AppDialect {
  if (method === 'wallet_requestExecutionPermissions') return executionPermissions
  const first: unknown = Array.isArray(params) ? params[0] : undefined
  const isList = Array.isArray(params) && (params.length > 1 || (typeof first === 'object' && first !== null && 'chainId' in first))
  return isList ? erc7715v2025 : erc7715
}

// How apps ask; `erc7715` speaks to wallets too.
export { erc7715, erc7715v2025, executionPermissions }
export type * from './types.js'
