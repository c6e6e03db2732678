import { grant } from '../sessions/grant.js'
import type { MethodHandler } from './types.js'

/**
 * `wallet_requestExecutionPermissions` (ERC-7715, 2026): one permission per request,
 * from the account to a session account, ending at an `expiry` rule.
 *
 * @see https://eips.ethereum.org/EIPS/eip-7715
 * @example
 * await provider.request({ method: 'wallet_requestExecutionPermissions', params: [{ chainId: '0x1', to, permission, rules }] })
 */
export const wallet_requestExecutionPermissions: MethodHandler = (params, context) =>
  grant('wallet_requestExecutionPermissions', params, context)
