import type { Address } from 'viem'
import { InvalidParamsError } from '../errors.js'
import type { MethodContext } from '../methods/types.js'
import { inScope } from './accountScope.js'
import { sessionStatus } from './status.js'
import type { Session } from './types.js'
import { isAddressShape } from '../permissions/isAddressShape.js'

/**
 * The session a permissions context names, among the sessions of `accounts` (the provider's,
 * from `accountScope`): by id, or (Openfort revokes by it) by the session key's address,
 * through the index (the oldest active session with that key, confirmed in the store; a miss
 * looks once more for one another instance granted). A session of another account is not
 * found, exactly as one that does not exist: a store shared by several users tells none of
 * them about the others' sessions.
 *
 * @example
 * const session = await findSession(context, permissionContext, await accountScope(context))
 */
export async function findSession(context: MethodContext, id: string, accounts: readonly Address[]): Promise<Session | undefined> {
  const byId = await context.store.get(id)
  if (byId !== undefined) return inScope(accounts, byId) ? byId : undefined
  if (!isAddressShape(id)) return undefined
  const byKey = async () => {
    const indexed = await context.index.byKey(id)
    for (let i = indexed.length - 1; i >= 0; i--) {
      const candidate = indexed[i] as Session
      if (candidate.status !== 'active' || !inScope(accounts, candidate)) continue
      const stored = await context.store.get(candidate.id)
      if (stored?.status === 'active') return stored
    }
    return undefined
  }
  return (await byKey()) ?? (context.index.refresh(context.now()) ? byKey() : undefined)
}

/** Sessions that may still be used: not revoked, not past their expiry. */
export function isLive(session: Session, now: number): boolean {
  return sessionStatus(session, now) === 'active'
}

/**
 * The one answer to a permissions context keyleash does not hold for this provider: unknown,
 * another account's (a store shared by several users), or a record this store cannot open
 * (written under another `encryptionKey`, or damaged). All three get the same words, so no
 * caller learns what others hold, and keyleash gives it itself: the wallet never granted
 * through keyleash would only say to wrap it with `withSessionKeys`, which the app did.
 *
 * @example
 * if (!session) throw notHeld('params[0].capabilities.permissions.context', id)
 */
export function notHeld(field: string, id: string): InvalidParamsError {
  return new InvalidParamsError(field, `${id} names no session keyleash holds for this provider's accounts`, {
    hint: "use the context the grant answered through withSessionKeys on this store, with the account that granted it connected (or named in the `account` option); a store opened with another encryptionKey than it was written with holds none of its sessions (its onError says so)",
  })
}
