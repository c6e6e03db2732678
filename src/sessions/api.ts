import type { Address, Hex } from 'viem'
import type { MethodContext } from '../methods/types.js'
import { walletChainId } from '../walletState.js'
import { checkScope, type CheckScopeReturnType, type ScopeCall } from '../permissions/scope.js'
import { accountScope, inScope } from './accountScope.js'
import { findSession, notHeld } from './find.js'
import { revokeSession, revokeUnopened, type RevokeOptions } from './revoke.js'
import type { Session, SessionStatus } from './types.js'
import { keyState } from './keyState.js'
import { sessionStatus } from './status.js'

/**
 * A session as the app sees it, its `status` derived when read: `expired` from the clock, and
 * `locked` for a session that would be active but whose key this store holds and cannot open
 * here (sealed under another `encryptionKey`, or damaged): it signs nothing until the store is
 * given the key it was sealed with.
 */
export type SessionInfo = Omit<Session, 'status'> & { status: SessionInfoStatus }

/** What a {@link SessionInfo}'s `status` may be: a stored session's status, `expired`, or `locked`. */
export type SessionInfoStatus = SessionStatus | 'locked'

/** Which sessions {@link SessionsApi.list} returns; every field given must match. */
export type SessionFilter = {
  /** The granting account, compared without regard to case. */
  account?: Address | undefined
  chainId?: number | undefined
  status?: SessionInfoStatus | undefined
}

/**
 * `provider.sessions`: the app's view of its sessions and keys, outside of RPC. It sees the
 * sessions of the provider's accounts only (the `account` option, or the wallet's connected
 * accounts): in a store shared by several users, another user's session is not listed, not
 * found, not checked and not revoked, exactly as if it did not exist.
 */
export type SessionsApi = {
  /** Every stored session of the provider's accounts matching `filter`, oldest first. */
  list(filter?: SessionFilter): Promise<SessionInfo[]>
  /** One session by its id (the permissions context), or `undefined`. */
  get(id: string): Promise<SessionInfo | undefined>
  /**
   * Stores a key the app made, for grants that name its address as the signer; resolves
   * to the address. The key is never returned, logged or sent to the inner wallet.
   */
  importKey(privateKey: Hex): Promise<Address>
  /**
   * Revokes a session (by id, or by its key's address): marked revoked here first and its key
   * deleted, then the wallet is asked (unless `{ wallet: false }`). Resolves once all are done;
   * rejects, coded, when the wallet or the key delete fails (the session stays revoked). With `{ wallet: false }`, a session of an account this
   * provider's wallet connected earlier may be ended too, after the wallet logged out (what
   * `revokeOnDisconnect` does).
   */
  revoke(id: string, options?: RevokeOptions): Promise<void>
  /**
   * Whether `calls` would fit the session now, and if not, why, call by call: the same check
   * `wallet_sendCalls` runs, without reserving anything. `chainId` defaults to the wallet's chain.
   */
  check(id: string, calls: readonly ScopeCall[], options?: { chainId?: number | undefined }): Promise<CheckScopeReturnType>
}

/**
 * Builds `provider.sessions` over the provider's store and clock. Each member is a small
 * function of the same `context` the RPC handlers get, so revoking and checking from the
 * app and from RPC share one code path.
 *
 * @example
 * const sessions = createSessionsApi(context)
 * const live = await sessions.list({ status: 'active', chainId: 1 })
 */
export function createSessionsApi(context: MethodContext): SessionsApi {
  // The accounts this provider's wallet has connected since it was made, as seen here. Once the
  // wallet logs out it has none, so the sessions of these may still be ended here, and only that.
  const served = new Set<Address>()
  const scope = async () => {
    const accounts = await accountScope(context)
    for (const account of accounts) served.add(account)
    return accounts
  }
  return {
    list: async (filter = {}) => listSessions(context, filter, await scope()),
    get: async (id) => getSession(context, id, await scope()),
    importKey: (privateKey) => context.store.keys.import(privateKey),
    revoke: async (id, options) => {
      const accounts = await scope()
      const allowed = options?.wallet === false ? [...served] : accounts
      const session = (await findSession(context, id, allowed)) ?? (await revokeUnopened(context, id, allowed))
      await revokeSession(session || (await stored(context, id, allowed)), context, options)
    },
    check: async (id, calls, options = {}) => {
      const session = await stored(context, id, await scope())
      const canSign = session.keyAddress !== undefined && (await context.store.keys.has(session.keyAddress))
      const chainId = options.chainId ?? (await walletChainId(context.inner))
      return checkScope(session, calls, { chainId, now: context.now(), canSign, permissionKinds: context.options.wallet.permissionKinds })
    },
  }
}

/**
 * The stored sessions of `accounts` matching `filter`, with `status` derived at `context.now()`,
 * oldest first.
 *
 * @example
 * await listSessions(context, { status: 'active' }, await accountScope(context))
 */
export async function listSessions(context: MethodContext, filter: SessionFilter, accounts: readonly Address[]): Promise<SessionInfo[]> {
  const now = context.now()
  const account = filter.account?.toLowerCase()
  const found: SessionInfo[] = []
  for (const session of await context.store.list()) {
    if (!inScope(accounts, session)) continue
    if (account !== undefined && session.account.toLowerCase() !== account) continue
    if (filter.chainId !== undefined && session.chainId !== filter.chainId) continue
    const info = await withStatus(context, session, now)
    if (filter.status !== undefined && info.status !== filter.status) continue
    found.push(info)
  }
  // Stores return sessions in any order (a map, a Redis scan): sort so the app sees one.
  return found.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

/**
 * One session of `accounts` with `status` derived at `context.now()`, or `undefined` when none
 * of theirs has that id.
 *
 * @example
 * const session = await getSession(context, '0x…context', await accountScope(context))
 * if (session?.status === 'expired') …
 */
export async function getSession(context: MethodContext, id: string, accounts: readonly Address[]): Promise<SessionInfo | undefined> {
  const session = await context.store.get(id)
  return session === undefined || !inScope(accounts, session) ? undefined : withStatus(context, session, context.now())
}

async function stored(context: MethodContext, id: string, accounts: readonly Address[]): Promise<Session> {
  const session = await findSession(context, id, accounts)
  if (!session) throw notHeld('id', id)
  return session
}

async function withStatus(context: MethodContext, session: Session, now: number): Promise<SessionInfo> {
  const status = sessionStatus(session, now)
  // Only a session that could sign is worth opening its key for.
  const locked = status === 'active' && (await keyState(context.store, session)).kind === 'locked'
  return { ...session, status: locked ? 'locked' : status }
}
