import type { Address } from 'viem'
import { isLive } from './find.js'
import { frozenCopy, frozenReplace } from './frozen.js'
import type { Session, SessionStore } from './types.js'
import { sessionWith } from './sessionWith.js'

/**
 * Sessions by what they are looked up by: the key that signs (`personal_sign` from a session
 * key's address, revoke's shared-key check) and, with auto-routing, the (chain, account,
 * target) a call goes to. Read from the store once, on first use; from then on kept up to date one
 * session at a time as this provider grants and revokes, and trimmed of expired sessions as
 * lookups meet them. A lookup costs a map read and a walk that stops at the first session
 * that fits, however many sessions the store holds.
 */
export type SessionIndex = {
  /** Every session whose key is `address`, live or not, newest first. */
  byKey(address: Address): Promise<readonly Session[]>
  /** The live sessions whose key is `address`, newest first, read lazily. */
  liveByKey(address: Address, now: number): Promise<Iterable<Session>>
  /**
   * The live sessions indexed under `target` (by the `targets` the index was made with: the
   * auto-routing opt-in's), newest first, read lazily: stop at the first that fits.
   */
  liveByTarget(target: string, now: number): Promise<Iterable<Session>>
  /** This provider stored `session` (a grant): it is found from now on. */
  granted(session: Session): void
  /** This provider revoked the session `id`: it is no candidate any more. */
  revoked(id: string): void
  /**
   * Reads the store again if the index is older than `now` (seconds): after a miss, a session
   * another instance granted on a shared store is found, at the cost of one read a second.
   */
  refresh(now: number): boolean
}

/**
 * What auto-routing indexes an active signing session by, besides its key, and how it walks the
 * sessions of one target ({@link liveFor}): given by the opt-in, so only an app that routes
 * bundles the walk.
 */
export type SessionTargets = {
  of(session: Session): Iterable<string>
  live(index: IndexedSessions, target: string, now: number): Iterable<Session>
}

/** One session as indexed; revoking replaces `session`, so every list that holds the entry sees it. */
type Entry = { session: Session }

/** The index as read from the store: what a {@link SessionTargets} walks. */
export type IndexedSessions = {
  /** The current entry of each id: an entry another has replaced is skipped, then dropped. */
  byId: Map<string, Entry>
  /** Every session with a key, by lower-case key address, oldest first. */
  byKey: Map<string, Entry[]>
  /** Signing sessions that were active when indexed, by target, oldest first. */
  byTarget: Map<string, Entry[]>
}

// A walk that steps over more dead entries than this (and than half its list) rewrites the list.
const compactAfter = 8

/**
 * Indexes a store's sessions for lookups that must cost the same with 10,000 sessions as with one.
 *
 * @example
 * const index = sessionIndex(store, routeTargets)
 * for (const session of await index.liveByTarget(`31337:${account}:${nft}`, now)) …
 */
export function sessionIndex(store: SessionStore, targets?: SessionTargets): SessionIndex {
  let built: IndexedSessions | undefined
  let loading: Promise<IndexedSessions> | undefined
  // Grants and revokes made while the store is being read, applied once it has been.
  let pending: ((built: IndexedSessions) => void)[] = []
  let generation = 0
  let builtAt = Number.NEGATIVE_INFINITY

  async function load(): Promise<IndexedSessions> {
    const own = generation
    const fresh: IndexedSessions = { byId: new Map(), byKey: new Map(), byTarget: new Map() }
    for (const session of (await store.list()).sort((a, b) => a.createdAt - b.createdAt)) add(fresh, session, targets)
    if (own !== generation) return read()
    for (const change of pending) change(fresh)
    pending = []
    built = fresh
    loading = undefined
    return fresh
  }
  const read = (): IndexedSessions | Promise<IndexedSessions> => built ?? (loading ??= load())
  const change = (apply: (built: IndexedSessions) => void) => {
    if (built !== undefined) apply(built)
    // Not read yet: the first read lists the store, which already holds the change.
    else if (loading !== undefined) pending.push(apply)
  }

  return {
    async liveByTarget(target, now) {
      return targets === undefined ? [] : targets.live(await read(), target, now)
    },
    async byKey(address) {
      const index = await read()
      const found: Session[] = []
      for (const entry of newestFirst(index, index.byKey.get(address.toLowerCase()))) found.push(entry.session)
      return found
    },
    async liveByKey(address, now) {
      const index = await read()
      return sessionsOf(newestFirst(index, index.byKey.get(address.toLowerCase())), now)
    },
    granted(session) {
      change((index) => add(index, session, targets))
    },
    revoked(id) {
      change((index) => {
        const entry = index.byId.get(id)
        if (entry !== undefined) entry.session = frozenReplace(entry.session, sessionWith(entry.session, { status: 'revoked' }))
      })
    },
    refresh(now) {
      if ((built !== undefined || loading !== undefined) && builtAt >= now) return false
      generation++
      built = undefined
      loading = undefined
      pending = []
      builtAt = now
      return true
    },
  }
}

function add(index: IndexedSessions, session: Session, targets: SessionTargets | undefined): void {
  const entry: Entry = { session: frozenCopy(session) }
  index.byId.set(session.id, entry)
  if (session.keyAddress === undefined) return
  insert(index.byKey, session.keyAddress.toLowerCase(), entry)
  if (session.status !== 'active' || targets === undefined) return
  for (const target of targets.of(session)) insert(index.byTarget, target, entry)
}

/** Keeps a list oldest first: a new grant is the newest, so this is a push but for a clock that went back. */
function insert(map: Map<string, Entry[]>, key: string, entry: Entry): void {
  const list = map.get(key)
  if (list === undefined) return void map.set(key, [entry])
  const createdAt = entry.session.createdAt
  let at = list.length
  while (at > 0 && (list[at - 1] as Entry).session.createdAt > createdAt) at--
  if (at === list.length) list.push(entry)
  else list.splice(at, 0, entry)
}

/** The current entries of a list, newest first, lazily. */
function* newestFirst(index: IndexedSessions, list: readonly Entry[] | undefined): Generator<Entry> {
  if (list === undefined) return
  for (let i = list.length - 1; i >= 0; i--) {
    const entry = list[i] as Entry
    if (index.byId.get(entry.session.id) === entry) yield entry
  }
}

function* sessionsOf(entries: Iterable<Entry>, now: number): Generator<Session> {
  for (const entry of entries) if (isLive(entry.session, now)) yield entry.session
}

/**
 * The live sessions indexed under `target`, newest first, lazily. Dead entries (revoked,
 * expired, replaced) are dropped as the walk meets them: at once at the newest end, where a
 * revoke usually leaves them, and by rewriting the list when a walk steps over many.
 *
 * @example
 * const index = sessionIndex(store, { of: (session) => [session.account], live: liveFor })
 */
export function* liveFor(index: IndexedSessions, target: string, now: number): Generator<Session> {
  const list = index.byTarget.get(target)
  if (list === undefined) return
  let skipped = 0
  for (let i = list.length - 1; i >= 0; i--) {
    const entry = list[i] as Entry
    if (index.byId.get(entry.session.id) === entry && isLive(entry.session, now)) yield entry.session
    else if (i === list.length - 1) list.pop()
    else skipped++
  }
  if (skipped > compactAfter && skipped * 2 > list.length) {
    const kept = list.filter((entry) => index.byId.get(entry.session.id) === entry && isLive(entry.session, now))
    if (kept.length === 0) index.byTarget.delete(target)
    else index.byTarget.set(target, kept)
  }
}
