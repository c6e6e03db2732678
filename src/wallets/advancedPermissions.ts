import { advancedKey, encodeAdvancedPermission, encodeRules, narrowAdvanced, parseAdvancedPermission, readAdvancedRules, withRules } from '../permissions/advancedPermissions.js'
import { isAdvancedPermissionType } from '../permissions/advancedTypes.js'
import type { PermissionKinds } from '../permissions/dialects/types.js'
import { checkSpendCalls, releaseSpends } from '../permissions/spendRules.js'

/**
 * MetaMask's Advanced Permissions (ERC-7715 2026, the eight types of its Smart Accounts Kit,
 * with the `redeemer` and `payee` rules), as keyleash reads, narrows and checks them: the
 * `permissionKinds` the `executionPermissions` wallet dialect carries, out of the core bundle
 * for apps whose wallet is not MetaMask. Give it to `checkScope` to check a MetaMask session
 * outside a provider.
 *
 * @example
 * import { checkScope } from 'keyleash'
 * import { advancedPermissions } from 'keyleash/wallets'
 *
 * const result = checkScope(session, [{ to: token, data: transferData }], { chainId: 1, now, canSign: true, permissionKinds: advancedPermissions })
 */
export const advancedPermissions: PermissionKinds = {
  parse: (type, data, field) => (isAdvancedPermissionType(type) ? parseAdvancedPermission(type, data, field) : undefined),
  readRules: readAdvancedRules,
  withRules,
  encode: encodeAdvancedPermission,
  encodeRules,
  key: advancedKey,
  narrow: narrowAdvanced,
  checkCalls: checkSpendCalls,
  releaseSpends,
}
