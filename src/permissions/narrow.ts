import type { Address, Hex } from 'viem'
import { InternalError } from '../errors.js'
import type { PermissionKinds } from './dialects/types.js'
import { mergePolicies, permissionKey } from './permission.js'
import type { Grant, GrantRequest, Permission } from './types.js'
import { isKindPermission } from './advancedTypes.js'

/**
 * What a session may do: what the wallet granted, but never more than was asked. A
 * wallet may grant less (ERC-7715 `isAdjustmentAllowed`); one that answers more, or
 * drops a limit it cannot express (Openfort's call limit), does not widen what keyleash
 * signs: the asked limits are kept and enforced locally. A native transfer keeps the payees the
 * wallet's account holds it to (thirdweb's), only those asked too when the app named some. MetaMask's permissions are narrowed by
 * the wallet dialect's `kinds`; without them, none is kept (never one wider than granted). A
 * grant that keeps none of what was asked is refused (-32603), so the caller revokes it.
 *
 * @example
 * narrowGrant(request, dialect.decode(answer, [request], codec)[0], dialect.permissionKinds)
 */
export function narrowGrant(request: GrantRequest, grant: Grant, kinds?: PermissionKinds): Grant {
  // Granted permissions by what they name: one lookup per asked permission, not a scan.
  const grantedByKey = new Map<string, Permission>()
  for (const granted of grant.permissions) {
    const key = keyOf(granted, kinds)
    if (!grantedByKey.has(key)) grantedByKey.set(key, granted)
  }
  const permissions: Permission[] = []
  for (const asked of request.permissions) {
    const granted = grantedByKey.get(keyOf(asked, kinds))
    if (!granted) continue
    if (asked.type === 'contract-call' && granted.type === 'contract-call') {
      const selectors = intersect(asked.selectors, granted.selectors)
      if (selectors === 'any' || selectors.length > 0) permissions.push({ ...asked, selectors })
    } else if (isKindPermission(asked)) {
      if (kinds && granted.type === asked.type) permissions.push(kinds.narrow(asked, granted))
    } else if (asked.type === 'native-transfer' && granted.type === 'native-transfer') {
      // The payees are the wallet's account's rule too (thirdweb's): dropped, keyleash would sign a
      // plain transfer the account refuses, and `sessions.check` would call it allowed.
      const payees = narrowAddresses(asked.payees, granted.payees)
      permissions.push({ ...asked, allowance: minAmount(asked.allowance, granted.allowance), ...(payees ? { payees } : {}) })
    } else if ('allowance' in asked && 'allowance' in granted) {
      permissions.push({ ...asked, allowance: minAmount(asked.allowance, granted.allowance) })
    } else permissions.push(asked)
  }
  // A session that may do nothing is no grant of what was asked: kept, it would be listed as
  // active and never revoked at the wallet, for whatever else the wallet granted there.
  if (permissions.length === 0 && request.permissions.length > 0)
    throw new InternalError(
      `the wallet granted none of what was asked: of the ${request.permissions.length} permission(s) asked, none is among the ${grant.permissions.length} it granted`,
      { context: grant.context, hint: 'ask again for what the wallet can grant; the grant is revoked at the wallet' },
    )
  return {
    ...grant,
    expiry: Math.min(request.expiry, grant.expiry),
    permissions,
    policies: mergePolicies([...request.policies, ...grant.policies]),
  }
}

/** What a permission names: two with the same key are the same permission, as asked and as granted. */
function keyOf(permission: Permission, kinds: PermissionKinds | undefined): string {
  if (permission.type === 'custom') return `custom:${permission.name}`
  // MetaMask's are keyed by the kinds that read them; without those, none was asked, and none is kept.
  if (isKindPermission(permission)) return kinds ? kinds.key(permission) : permission.type
  return permissionKey(permission) as string
}

function intersect(asked: readonly Hex[] | 'any', granted: readonly Hex[] | 'any'): readonly Hex[] | 'any' {
  if (granted === 'any') return asked
  if (asked === 'any') return granted
  return asked.filter((selector) => granted.includes(selector))
}

/**
 * The smaller of two amounts (`Math.min` takes no bigints).
 *
 * @example
 * minAmount(5n, 3n) // 3n
 */
export function minAmount(a: bigint, b: bigint): bigint {
  return b < a ? b : a
}

/**
 * An address rule (who a transfer may pay, who may redeem) as narrowed: absent on one side, the
 * other's; on both, only the addresses both name (never wider than either).
 *
 * @example
 * narrowAddresses([shop, cafe], [shop]) // [shop]
 */
export function narrowAddresses(asked: readonly Address[] | undefined, granted: readonly Address[] | undefined): readonly Address[] | undefined {
  if (granted === undefined) return asked
  if (asked === undefined) return granted
  const grantedSet = new Set(granted.map((payee) => payee.toLowerCase()))
  return asked.filter((payee) => grantedSet.has(payee.toLowerCase()))
}
