import type { Address } from 'viem'
import type { ScopeCall } from '../permissions/scope.js'
import { isLive } from './find.js'
import type { Session, SessionStore } from './types.js'

/**
 * Live sessions by what they are looked up by: the key that signs (`personal_sign` from a
 * session key's address) and the (chain, account, target) a call goes to (auto-routing).
 * Built from the store on first use and rebuilt after this provider grants or revokes, so
 * a lookup costs a map read, not a scan of every session.
 */
export type SessionIndex = {
  /** Sessions that might cover `calls` (the first call's target decides), newest first; the scope check decides. */
  candidates(chainId: number, account: Address, calls: readonly ScopeCall[], now: number): Promise<readonly Session[]>
  /** Every session whose key is `address`, live or not. */
  byKey(address: Address): Promise<readonly Session[]>
  /** Forgets what it knows: the next lookup reads the store again. */
  invalidate(): void
  /**
   * Reads the store again if the index is older than `now` (seconds): after a miss, a session
   * another instance granted on a shared store is found, at the cost of one read a second.
   */
  refresh(now: number): boolean
}

type Built = {
  byTarget: Map<string, Session[]>
  byKey: Map<string, Session[]>
}

// A plain transfer (no calldata) fits any session with a native allowance, whatever its target.
const nativeTarget = 'native'

/**
 * Indexes a store's sessions for lookups that must stay fast with many sessions.
 *
 * @example
 * const index = sessionIndex(store)
 * const [session] = await index.candidates(31337, account, [{ to: nft, data }], now)
 */
export function sessionIndex(store: SessionStore): SessionIndex {
  let built: Promise<Built> | undefined
  let builtAt = Number.NEGATIVE_INFINITY
  const read = () => (built ??= build(store))
  return {
    async candidates(chainId, account, calls, now) {
      const [first] = calls
      if (!first) return []
      const { byTarget } = await read()
      const prefix = `${chainId}:${account.toLowerCase()}:`
      const forTarget = byTarget.get(prefix + first.to.toLowerCase()) ?? []
      const isTransfer = first.data === undefined || first.data === '0x'
      const found = isTransfer ? new Set([...forTarget, ...(byTarget.get(prefix + nativeTarget) ?? [])]) : forTarget
      return [...found].filter((session) => isLive(session, now))
    },
    async byKey(address) {
      return (await read()).byKey.get(address.toLowerCase()) ?? []
    },
    invalidate() {
      built = undefined
    },
    refresh(now) {
      if (built !== undefined && builtAt >= now) return false
      built = undefined
      builtAt = now
      return true
    },
  }
}

async function build(store: SessionStore): Promise<Built> {
  const byTarget = new Map<string, Session[]>()
  const byKey = new Map<string, Session[]>()
  const add = (map: Map<string, Session[]>, key: string, session: Session) => {
    const list = map.get(key)
    if (list) list.push(session)
    else map.set(key, [session])
  }
  const sessions = (await store.list()).sort((a, b) => b.createdAt - a.createdAt)
  for (const session of sessions) {
    if (session.keyAddress !== undefined) add(byKey, session.keyAddress.toLowerCase(), session)
    if (session.status !== 'active' || session.keyAddress === undefined) continue
    const prefix = `${session.chainId}:${session.account.toLowerCase()}:`
    for (const permission of session.permissions) {
      if (permission.type === 'contract-call') add(byTarget, prefix + permission.target.toLowerCase(), session)
      else if (permission.type === 'erc20-transfer') add(byTarget, prefix + permission.token.toLowerCase(), session)
      else if (permission.type === 'native-transfer') add(byTarget, prefix + nativeTarget, session)
    }
  }
  return { byTarget, byKey }
}
