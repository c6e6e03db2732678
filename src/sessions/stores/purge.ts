import { InvalidParamsError } from '../../errors.js'
import { sessionStatus } from '../status.js'
import type { Session, SessionStore } from '../types.js'
import type { StoreBackend } from './backend.js'

/** Options of `store.purge`. */
export type PurgeOptions = {
  /**
   * A key no session uses is deleted once it is this many seconds old: a grant stores its key
   * before the wallet answers, so a key younger than this may belong to a grant in flight, and
   * an app may import a key shortly before it grants with it. Default: 3,600 (an hour).
   */
  keyGrace?: number | undefined
}

/**
 * Deletes every revoked or expired session of `store`, each key first (so a crash halfway
 * leaves a session that cannot sign, never a key without its session's record); a key that
 * a live session also uses is kept. Works on any {@link SessionStore}: a persistent store's
 * own `store.purge(now)` is used when it has one (one pass, and it also deletes keys of
 * interrupted grants). Nothing purges on its own: the app calls it (at start, on a timer),
 * because listing expired sessions (`wallet_getPermissions`) is a feature.
 *
 * @example
 * const purged = await purgeSessions(store, Math.floor(Date.now() / 1000)) // ['0x01', …]
 */
export async function purgeSessions(store: SessionStore & { purge?: (now: number) => Promise<string[]> }, now: number): Promise<string[]> {
  if (typeof store.purge === 'function') return store.purge(now)
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

/**
 * A persistent store's purge, in one pass over its backend: given every session entry read
 * once (`undefined` for one that could not be read), a set of the keys the other sessions use,
 * then for each revoked session, and each expired `margin` seconds ago or more (the store's
 * `purgeMargin`: a clock set ahead must not delete a session that still runs), its key (unless
 * another session kept uses it) and its entry, deleted without listing again; then every key
 * no session uses and older than `keyGrace` (see {@link PurgeOptions}). A damaged session entry
 * (or one sealed under a key this process lacks, mid-rotation) could name any key, so while
 * one is there no key is deleted, not even a purged session's: its entry goes, its key waits
 * for a purge that can read every entry. Resolves to the ids of the sessions deleted.
 *
 * @example
 * const purged = await purgeBackend(backend, sessions, 1_800_000_000, { margin: 86_400 }) // ['0x01', …]
 */
export async function purgeBackend(
  backend: StoreBackend,
  sessions: readonly (Session | undefined)[],
  now: number,
  { keyGrace = 3_600, margin = 0 }: PurgeOptions & { margin?: number },
): Promise<string[]> {
  if (!Number.isFinite(keyGrace) || keyGrace < 0) throw new InvalidParamsError('keyGrace', 'must be a number of seconds ≥ 0')
  const stale: Session[] = []
  const used = new Set<string>()
  let damaged = false
  for (const session of sessions) {
    if (session === undefined) damaged = true
    // Judged `margin` seconds ago: expired only if it was expired then already.
    else if (sessionStatus(session, now - margin) !== 'active') stale.push(session)
    else if (session.keyAddress !== undefined) used.add(session.keyAddress.toLowerCase())
  }
  const deleted = new Set<string>()
  for (const session of stale) {
    const key = session.keyAddress?.toLowerCase()
    if (key !== undefined && !damaged && !used.has(key) && !deleted.has(key)) {
      await backend.deleteKey(key)
      deleted.add(key)
    }
    await backend.deleteSession(session.id)
  }
  if (damaged) return stale.map((session) => session.id)
  for (const [address, sealed] of await backend.listKeys()) {
    if (used.has(address) || deleted.has(address)) continue
    const created = keyStoredAt(sealed)
    if (created !== undefined && now - created >= keyGrace) await backend.deleteKey(address)
  }
  return stale.map((session) => session.id)
}

/**
 * A sealed key with the time it was stored (unix seconds) added to its envelope, for
 * {@link purgeBackend}'s grace period. The cipher ignores the field; it is not secret, and
 * not authenticated: altering it can only make purge delete an unused key sooner or later.
 *
 * @example
 * datedKey('{"v":1,"alg":"A256GCM","iv":"…","ct":"…"}', 1_800_000_000) // '{"v":1,…,"ct":"…","storedAt":1800000000}'
 */
export function datedKey(sealed: string, storedAt: number): string {
  return sealed.endsWith('}') ? `${sealed.slice(0, -1)},"storedAt":${Math.floor(storedAt)}}` : sealed
}

/**
 * When a key entry was stored, from {@link datedKey}; `undefined` for one stored before keys
 * were dated (purge keeps it: its age is unknown).
 *
 * @example
 * keyStoredAt('{"v":1,…,"ct":"…","storedAt":1800000000}') // 1800000000
 */
export function keyStoredAt(sealed: string): number | undefined {
  const match = /,"storedAt":(\d+)}$/.exec(sealed)
  return match === null ? undefined : Number(match[1])
}
