import { requestDialect } from '../permissions/dialects/index.js'
import { accountScope, inScope } from '../sessions/accountScope.js'
import { isLive } from '../sessions/find.js'
import type { MethodHandler } from './types.js'

/**
 * `wallet_getPermissions`: the live sessions of the provider's accounts, from the store, in the 2025 ERC-7715 shape
 * (each request with its `context`). Expired and revoked sessions are never listed. Refused
 * (-32602) unless the provider reads that draft (`requests: [erc7715v2025Requests]`).
 *
 * @example
 * const granted = await provider.request({ method: 'wallet_getPermissions' })
 */
export const wallet_getPermissions: MethodHandler = async (_params, context) => {
  const answer = requestDialect(context.options.requests, 'erc7715-2025', 'wallet_getPermissions answers').answer
  const now = context.now()
  const accounts = await accountScope(context)
  return answer((await context.store.list()).filter((session) => isLive(session, now) && inScope(accounts, session)), context.options.wallet.permissionKinds)
}
