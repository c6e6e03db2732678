import { readArray, readObject, readString } from '../permissions/read.js'
import { findSession } from '../sessions/find.js'
import { revokeSession } from '../sessions/revoke.js'
import type { RequestArguments } from '../types.js'
import type { MethodContext } from './types.js'

/**
 * The revoke both ERC-7715 methods share: `[{ permissionContext }]`. A context keyleash
 * did not grant goes to the wallet untouched: it may know it.
 */
export async function revokePermission(request: RequestArguments, context: MethodContext): Promise<unknown> {
  const first = readObject(readArray(request.params, 'params')[0], 'params[0]')
  const permissionContext = readString(first.permissionContext, 'params[0].permissionContext')
  const session = await findSession(context, permissionContext)
  if (!session) return context.inner.request(request)
  await revokeSession(session, context)
  return {}
}
