import { isAddress } from 'viem'
import type { MethodContext } from '../methods/types.js'
import { sessionStatus } from './status.js'
import type { Session } from './types.js'

/**
 * The session a permissions context names: by id, or (Openfort revokes by it) by the
 * session key's address, through the index (the oldest active session with that key,
 * confirmed in the store; a miss looks once more for one another instance granted).
 *
 * @example
 * const session = await findSession(context, '0x…context')
 */
export async function findSession(context: MethodContext, id: string): Promise<Session | undefined> {
  const byId = await context.store.get(id)
  if (byId || !isAddress(id, { strict: false })) return byId
  const byKey = async () => {
    const indexed = await context.index.byKey(id)
    for (let i = indexed.length - 1; i >= 0; i--) {
      if ((indexed[i] as Session).status !== 'active') continue
      const stored = await context.store.get((indexed[i] as Session).id)
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
