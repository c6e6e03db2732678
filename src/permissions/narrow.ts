import { isAddressEqual, type Hex } from 'viem'
import { narrowAdvanced } from './advancedPermissions.js'
import { mergePolicies } from './permission.js'
import type { Grant, GrantRequest, Permission } from './types.js'

/**
 * What a session may do: what the wallet granted, but never more than was asked. A
 * wallet may grant less (ERC-7715 `isAdjustmentAllowed`); one that answers more, or
 * drops a limit it cannot express (Openfort's call limit), does not widen what keyleash
 * signs: the asked limits are kept and enforced locally.
 */
export function narrowGrant(request: GrantRequest, grant: Grant): Grant {
  const permissions: Permission[] = []
  for (const asked of request.permissions) {
    const granted = grant.permissions.find((p) => samePermission(asked, p))
    if (!granted) continue
    if (asked.type === 'contract-call' && granted.type === 'contract-call') {
      const selectors = intersect(asked.selectors, granted.selectors)
      if (selectors === 'any' || selectors.length > 0) permissions.push({ ...asked, selectors })
    } else if ((asked.type === 'spend' || asked.type === 'revocation') && granted.type === asked.type) {
      permissions.push(narrowAdvanced(asked, granted))
    } else if ('allowance' in asked && 'allowance' in granted) {
      permissions.push({ ...asked, allowance: granted.allowance < asked.allowance ? granted.allowance : asked.allowance })
    } else permissions.push(asked)
  }
  return {
    ...grant,
    expiry: Math.min(request.expiry, grant.expiry),
    permissions,
    policies: mergePolicies([...request.policies, ...grant.policies]),
  }
}

function samePermission(a: Permission, b: Permission): boolean {
  if (a.type === 'contract-call') return b.type === 'contract-call' && isAddressEqual(a.target, b.target)
  if (a.type === 'erc20-transfer') return b.type === 'erc20-transfer' && isAddressEqual(a.token, b.token)
  if (a.type === 'custom') return b.type === 'custom' && a.name === b.name
  if (a.type === 'spend') return b.type === 'spend' && a.limit.kind === b.limit.kind && (a.token === 'native' ? b.token === 'native' : b.token !== 'native' && isAddressEqual(a.token, b.token))
  if (a.type === 'revocation') return b.type === 'revocation' && a.kind === b.kind
  return b.type === a.type
}

function intersect(asked: readonly Hex[] | 'any', granted: readonly Hex[] | 'any'): readonly Hex[] | 'any' {
  if (granted === 'any') return asked
  if (asked === 'any') return granted
  return asked.filter((selector) => granted.includes(selector))
}
