import { revokePermission } from './revokePermission.js'
import type { MethodHandler } from './types.js'

/**
 * `wallet_revokeExecutionPermission` (ERC-7715, 2026): revokes locally (the key is
 * deleted) and at the wallet.
 *
 * @example
 * await provider.request({ method: 'wallet_revokeExecutionPermission', params: [{ permissionContext }] })
 */
export const wallet_revokeExecutionPermission: MethodHandler = (_params, context, request) => revokePermission(request, context)
