import { isAddress, isAddressEqual } from 'viem'
import { sessionStatus } from './status.js'
import type { Session, SessionStore } from './types.js'

/**
 * The session a permissions context names: by id, or (Openfort revokes by it) by the
 * session key's address.
 */
export async function findSession(store: SessionStore, context: string): Promise<Session | undefined> {
  const byId = await store.get(context)
  if (byId || !isAddress(context, { strict: false })) return byId
  const sessions = await store.list()
  return sessions.find((s) => s.status === 'active' && s.keyAddress !== undefined && isAddressEqual(s.keyAddress, context))
}

/** Sessions that may still be used: not revoked, not past their expiry. */
export function isLive(session: Session, now: number): boolean {
  return sessionStatus(session, now) === 'active'
}
