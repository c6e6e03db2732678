import type { KindPermission } from './dialects/types.js'
import type { Permission } from './types.js'

/**
 * The wire names of MetaMask's Advanced Permissions (ERC-7715 2026,
 * `@metamask/7715-permission-types`), the eight types its Smart Accounts Kit sends. Core
 * keyleash knows the names only, to say what to do with a request that uses one; reading and
 * checking them is `advancedPermissions` in `keyleash/wallets`, which the `executionPermissions`
 * wallet dialect carries.
 *
 * @example
 * advancedPermissionTypes.includes('erc20-token-periodic') // true
 */
export const advancedPermissionTypes = [
  'native-token-stream',
  'native-token-periodic',
  'native-token-allowance',
  'erc20-token-stream',
  'erc20-token-periodic',
  'erc20-token-allowance',
  'erc20-token-revocation',
  'token-approval-revocation',
] as const

export type AdvancedPermissionType = (typeof advancedPermissionTypes)[number]

/**
 * Whether a wire type name is one of MetaMask's.
 *
 * @example
 * isAdvancedPermissionType('native-token-stream') // true
 * isAdvancedPermissionType('contract-call') // false
 */
export function isAdvancedPermissionType(type: unknown): type is AdvancedPermissionType {
  return (advancedPermissionTypes as readonly unknown[]).includes(type)
}

/**
 * Whether a permission is of the kinds core keyleash leaves to a wallet dialect's
 * `permissionKinds` (MetaMask's `spend` and `revocation`).
 *
 * @example
 * isKindPermission({ type: 'contract-call', target, selectors: 'any' }) // false
 */
export function isKindPermission(permission: Permission): permission is KindPermission {
  return permission.type === 'spend' || permission.type === 'revocation'
}
