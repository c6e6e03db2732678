import { isAddress, isAddressEqual, type Address } from 'viem'
import { inScope } from './accountScope.js'
import { sessionStatus } from './status.js'
import type { Session, SessionStore } from './types.js'

/**
 * The session a permissions context names, among the sessions of `accounts` (the provider's,
 * from `accountScope`): by id, or (Openfort revokes by it) by the session key's address. A
 * session of another account is not found, exactly as one that does not exist: a store shared
 * by several users tells none of them about the others' sessions.
 *
 * @example
 * const session = await findSession(context.store, permissionContext, await accountScope(context))
 */
export async function findSession(store: SessionStore, context: string, accounts: readonly Address[]): Promise<Session | undefined> {
  const byId = await store.get(context)
  if (byId !== undefined) return inScope(accounts, byId) ? byId : undefined
  if (!isAddress(context, { strict: false })) return undefined
  const sessions = await store.list()
  return sessions.find((s) => s.status === 'active' && s.keyAddress !== undefined && isAddressEqual(s.keyAddress, context) && inScope(accounts, s))
}

/** Sessions that may still be used: not revoked, not past their expiry. */
export function isLive(session: Session, now: number): boolean {
  return sessionStatus(session, now) === 'active'
}
