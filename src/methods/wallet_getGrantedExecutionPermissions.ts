import { requestDialect } from '../permissions/dialects/index.js'
import { accountScope, inScope } from '../sessions/accountScope.js'
import { isLive } from '../sessions/find.js'
import type { MethodHandler } from './types.js'

/**
 * `wallet_getGrantedExecutionPermissions` (ERC-7715, 2026): the live sessions of the
 * provider's accounts, from the store, one entry per permission. Expired and revoked sessions are never listed.
 * Refused (-32602) unless the provider reads that draft (`requests: [executionPermissionRequests]`,
 * or `wallet: executionPermissions`).
 *
 * @example
 * const granted = await provider.request({ method: 'wallet_getGrantedExecutionPermissions' })
 */
export const wallet_getGrantedExecutionPermissions: MethodHandler = async (_params, context) => {
  const answer = requestDialect(context.options.requests, 'execution-permissions', 'wallet_getGrantedExecutionPermissions answers').answer
  const now = context.now()
  const accounts = await accountScope(context)
  return answer((await context.store.list()).filter((session) => isLive(session, now) && inScope(accounts, session)), context.options.wallet.permissionKinds)
}
