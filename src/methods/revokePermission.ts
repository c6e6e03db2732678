import { readArray, readObject, readString } from '../permissions/read.js'
import { accountScope } from '../sessions/accountScope.js'
import { findSession } from '../sessions/find.js'
import { revokeSession } from '../sessions/revoke.js'
import type { RequestArguments } from '../types.js'
import type { MethodContext } from './types.js'

/**
 * The revoke both ERC-7715 methods share: `[{ permissionContext }]`. A context that names no
 * session of the provider's accounts goes to the wallet untouched: it may know it. That holds
 * for another user's session in a shared store too: keyleash neither revokes it nor says that
 * it exists, and the wallet, which did not grant it to this user, has nothing of it to revoke.
 */
export async function revokePermission(request: RequestArguments, context: MethodContext): Promise<unknown> {
  const first = readObject(readArray(request.params, 'params')[0], 'params[0]')
  const permissionContext = readString(first.permissionContext, 'params[0].permissionContext')
  const session = await findSession(context, permissionContext, await accountScope(context))
  if (!session) return context.inner.request(request)
  await revokeSession(session, context)
  return {}
}
