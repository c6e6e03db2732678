import { revokePermission } from './revokePermission.js'
import type { MethodHandler } from './types.js'

/**
 * `wallet_revokePermissions`: revokes an ERC-7715 grant locally (the key is deleted) and at
 * the wallet. wagmi's `disconnect()` sends the same method with `[{ eth_accounts: {} }]`
 * (MetaMask's MIP-2, about the connection, not a session): that goes to the wallet untouched.
 *
 * @example
 * await provider.request({ method: 'wallet_revokePermissions', params: [{ permissionContext }] })
 */
export const wallet_revokePermissions: MethodHandler = (params, context, request) => {
  const first: unknown = Array.isArray(params) ? params[0] : undefined
  if (typeof first === 'object' && first !== null && 'eth_accounts' in first)
    return context.inner.request(request)
  return revokePermission(request, context)
}
