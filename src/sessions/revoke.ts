import type { Address } from 'viem'
import { causeOf, codeOf, InternalError, KeyleashError, messageOf } from '../errors.js'
import type { MethodContext } from '../methods/types.js'
import { isLive } from './find.js'
import type { Session } from './types.js'
import { inScope } from './accountScope.js'
import type { PersistentStore } from './stores/persistentStore.js'
import { sessionWith } from './sessionWith.js'
import { revokeAtWallet } from './revokeAtWallet.js'

/** Options of `sessions.revoke` (and of the revoke behind it). */
export type RevokeOptions = {
  /**
   * Whether to ask the wallet to revoke too. Default: `true`. `false` only ends the session
   * here (the key is deleted): for a wallet that has logged out and would only prompt.
   */
  wallet?: boolean | undefined
}

// A key delete that fails (a busy disk, a dropped Redis connection) is retried this many
// times in all, so a transient failure does not leave a key at rest; bounded, so a store
// that is down cannot hold the revoke forever.
const keyDeleteAttempts = 3

/**
 * Revokes a session: locally first and for good, then at the wallet in the provider's dialect.
 *
 * 1. The session is marked revoked, in a write of its own: from then on nothing signs under it,
 *    whatever happens to its key.
 * 2. Its key is deleted (unless another live session signs with it), retried a few times; a
 *    key that still cannot be deleted is reported (-32603) while the session stays revoked.
 * 3. The wallet is asked. A wallet that fails is reported with its own code; the session stays
 *    revoked here either way. A session granted in another dialect (a store shared with a
 *    provider over another wallet) is revoked here only, and reported: this wallet did not grant it.
 *
 * @example
 * await revokeSession(session, context)
 */
export async function revokeSession(session: Session, context: MethodContext, options: RevokeOptions = {}): Promise<void> {
  const { store } = context
  const failures: KeyleashError[] = []
  let marked = false
  try {
    await store.update(session.id, (stored) => {
      // Set on every call: a persistent store may call `change` again after a conflict.
      marked = stored.status !== 'revoked'
      return marked ? sessionWith(stored, { status: 'revoked' }) : undefined
    })
  } catch (error) {
    failures.push(new InternalError(`the session could not be marked revoked in the store: ${messageOf(error)}`, { context: session.id, cause: causeOf(error) }))
  }
  if (marked) context.emit('sessionRevoked', sessionWith(session, { status: 'revoked' }))
  const keyFailure = await deleteKey(session, context)
  if (keyFailure !== undefined) failures.push(keyFailure)

  const dialect = context.options.wallet
  // A store shared with a provider over another wallet: this wallet did not grant the
  // session, and the context (or key) is the other wallet's to read, not this one's.
  const grantedElsewhere = session.wallet !== dialect.name
  if (options.wallet !== false && grantedElsewhere)
    failures.push(
      new InternalError(
        `the session was revoked here only: it was granted in the ${session.wallet} dialect, and this provider's wallet speaks ${dialect.name}; revoke it at the wallet that granted it`,
        { context: session.id },
      ),
    )
  else if (options.wallet !== false) {
    try {
      await revokeAtWallet(dialect, session, context)
    } catch (error) {
      const here = failures.length === 0 ? 'the session was revoked here and its key deleted' : 'the session was revoked here'
      failures.unshift(new KeyleashError(codeOf(error), `${here}, but the wallet did not revoke it: ${messageOf(error)}`, { context: session.id, cause: causeOf(error) }))
    }
  }
  const [first, ...rest] = failures
  if (first === undefined) return
  if (rest.length === 0) throw first
  // Several things failed: the first error keeps its code, the message says all of them.
  throw new KeyleashError(first.code, [first, ...rest].map((failure) => failure.message).join('; '), { ...first.data, context: session.id })
}

/** Deletes the session's key, retrying; resolves to the failure that remained, if any. */
async function deleteKey(session: Session, context: MethodContext): Promise<InternalError | undefined> {
  const { keyAddress } = session
  if (keyAddress === undefined) return undefined
  let last: unknown
  for (let attempt = 0; attempt < keyDeleteAttempts; attempt++) {
    try {
      if (await keyInUseElsewhere(session, context)) return undefined
      await context.store.keys.delete(keyAddress)
      return undefined
    } catch (error) {
      last = error
    }
  }
  return new InternalError(
    `the session is revoked (nothing signs under it), but its key ${keyAddress} could not be deleted after ${keyDeleteAttempts} attempts: ${messageOf(last)}`,
    { context: session.id, cause: causeOf(last), hint: `delete it with provider.sessions.revoke('${session.id}', { wallet: false }) once the store is back, or purge the store` },
  )
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

/**
 * Revokes, here and for good, a session of `accounts` whose record this process cannot open:
 * sealed under an `encryptionKey` it does not hold (another process re-sealed it after a
 * rotation). Its tombstone needs no key (see `PersistentStore.revokeUnopened`), so it stops
 * signing everywhere. The wallet is not asked, since the record is unverified here: this then
 * rejects (-32603) saying so. Resolves to `false` when the store holds no such record.
 *
 * @example
 * if (!(await revokeUnopened(context, id, accounts))) throw notFound(id)
 */
export async function revokeUnopened(context: MethodContext, id: string, accounts: readonly Address[]): Promise<false> {
  if (!(await (context.store as Partial<PersistentStore>).revokeUnopened?.(id, (claimed) => inScope(accounts, claimed)))) return false
  throw new InternalError('revoked here, not at the wallet: the record is sealed under a key this process lacks', {
    context: id,
    hint: 'revoke at the wallet from a process with the current key',
  })
}
