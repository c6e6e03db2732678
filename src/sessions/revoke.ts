import { causeOf, InternalError, KeyleashError } from '../errors.js'
import type { MethodContext } from '../methods/types.js'
import { isLive } from './find.js'
import type { Session } from './types.js'

/** Options of {@link revokeSession}. */
export type RevokeOptions = {
  /**
   * Whether to ask the wallet to revoke too. Default: `true`. `false` only ends the session
   * here (the key is deleted): for a wallet that has logged out and would only prompt.
   */
  wallet?: boolean | undefined
}

/**
 * Revokes a session: locally first and for good (fail closed: the key is deleted and the
 * session marked revoked before the wallet is asked), then at the wallet in the provider's
 * dialect. A wallet that fails is reported with its own code; the session stays revoked
 * here either way. A session granted in another dialect (a store shared with a provider over
 * another wallet) is revoked here only, and reported: this wallet did not grant it.
 *
 * @example
 * await revokeSession(session, context)
 */
export async function revokeSession(session: Session, context: MethodContext, options: RevokeOptions = {}): Promise<void> {
  const { store } = context
  let localFailure: unknown
  try {
    if (session.keyAddress !== undefined && !(await keyInUseElsewhere(session, context))) await store.keys.delete(session.keyAddress)
    await store.update(session.id, (stored) => ({ ...stored, status: 'revoked' }))
    context.emit('sessionRevoked', { ...session, status: 'revoked' })
  } catch (error) {
    localFailure = error
  }

  const dialect = context.options.wallet
  // A store shared with a provider over another wallet: this wallet did not grant the
  // session, and the context (or key) is the other wallet's to read, not this one's.
  const grantedElsewhere = session.wallet !== dialect.name
  if (options.wallet === false || grantedElsewhere) {
    if (localFailure !== undefined) throw localFailure
    if (options.wallet === false) return
    throw new InternalError(
      `the session was revoked here only: it was granted in the ${session.wallet} dialect, and this provider's wallet speaks ${dialect.name}; revoke it at the wallet that granted it`,
      { context: session.id },
    )
  }
  try {
    await context.inner.request({ method: dialect.revokeMethod, params: dialect.encodeRevoke(session) })
  } catch (error) {
    const code = Number.isInteger((error as { code?: unknown })?.code) ? (error as { code: number }).code : -32603
    const message = error instanceof Error ? error.message : String((error as { message?: unknown })?.message ?? error)
    throw new KeyleashError(code, `the session was revoked here and its key deleted, but the wallet did not revoke it: ${message}`, {
      context: session.id,
      cause: causeOf(error),
    })
  }
  if (localFailure !== undefined) throw localFailure
}

// One imported key may sign for several sessions; it goes with the last of them. The index
// says which; each is confirmed in the store (another instance may have revoked it), and a
// miss looks once more, since another instance may have granted one with this key.
async function keyInUseElsewhere(session: Session, context: MethodContext): Promise<boolean> {
  const { keyAddress } = session
  if (keyAddress === undefined) return false
  const now = context.now()
  const inUse = async () => {
    for (const other of await context.index.liveByKey(keyAddress, now)) {
      if (other.id === session.id) continue
      const stored = await context.store.get(other.id)
      if (stored !== undefined && isLive(stored, now)) return true
    }
    return false
  }
  return (await inUse()) || (context.index.refresh(now) && (await inUse()))
}
