import { erc7715v2025Requests } from '../permissions/dialects/index.js'
import { accountScope, inScope } from '../sessions/accountScope.js'
import { isLive } from '../sessions/find.js'
import type { MethodHandler } from './types.js'

/**
 * `wallet_getPermissions`: the live sessions of the provider's accounts, from the store, in the 2025 ERC-7715 shape
 * (each request with its `context`). Expired and revoked sessions are never listed.
 *
 * @example
 * const granted = await provider.request({ method: 'wallet_getPermissions' })
 */
export const wallet_getPermissions: MethodHandler = async (_params, context) => {
  const now = context.now()
  const accounts = await accountScope(context)
  return erc7715v2025Requests.answer((await context.store.list()).filter((session) => isLive(session, now) && inScope(accounts, session)), context.options.wallet.permissionKinds)
}
