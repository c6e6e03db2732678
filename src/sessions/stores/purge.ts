import { sessionStatus } from '../status.js'
import type { SessionStore } from '../types.js'

/**
 * Deletes every revoked or expired session of `store`, each key first (so a crash halfway
 * leaves a session that cannot sign, never a key without its session's record); a key that
 * a live session also uses is kept. Works on any {@link SessionStore}; persistent stores
 * expose it as `store.purge(now)`. Nothing purges on its own: the app calls it (at start,
 * on a timer), because listing expired sessions (`wallet_getPermissions`) is a feature.
 *
 * @example
 * const purged = await purgeSessions(store, Math.floor(Date.now() / 1000)) // ['0x01', …]
 */
export async function purgeSessions(store: SessionStore, now: number): Promise<string[]> {
  const sessions = await store.list()
  const stale = sessions.filter((session) => sessionStatus(session, now) !== 'active')
  const kept = new Set(
    sessions.filter((session) => sessionStatus(session, now) === 'active' && session.keyAddress).map((s) => s.keyAddress?.toLowerCase()),
  )
  for (const session of stale) {
    if (session.keyAddress !== undefined && !kept.has(session.keyAddress.toLowerCase())) await store.keys.delete(session.keyAddress)
    await store.delete(session.id)
  }
  return stale.map((session) => session.id)
}
