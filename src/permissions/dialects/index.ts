import { erc7715 } from './erc7715.js'
import { erc7715v2025Requests } from './erc7715-2025.js'
import { executionPermissionRequests } from './executionPermissions.js'
import type { AppDialect } from './types.js'

/**
 * Which draft an app's grant is in. `wallet_grantPermissions` carries two: viem's June 2024
 * single object (no `chainId`), and the 2025 list, whose every request names its chain.
 */
export function appDialectOf(method: 'wallet_grantPermissions' | 'wallet_requestExecutionPermissions', params: unknown): AppDialect {
  if (method === 'wallet_requestExecutionPermissions') return executionPermissionRequests
  const first: unknown = Array.isArray(params) ? params[0] : undefined
  const isList = Array.isArray(params) && (params.length > 1 || (typeof first === 'object' && first !== null && 'chainId' in first))
  return isList ? erc7715v2025Requests : erc7715
}

// How apps ask. Speaking to wallets is `erc7715` here, the default, and the rest in
// `src/wallets/` (`keyleash/wallets`), out of the core bundle.
export { erc7715, erc7715v2025Requests, executionPermissionRequests }
export type * from './types.js'
