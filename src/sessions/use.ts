import { InternalError, UnauthorizedError } from '../errors.js'
import { checkScope, type CheckScopeReturnType, type ScopeCall } from '../permissions/scope.js'
import type { MethodContext } from '../methods/types.js'
import type { PermissionKinds } from '../permissions/dialects/types.js'
import { keyState } from './keyState.js'
import { signingWhileLive } from './sessionSigner.js'
import type { Session, SessionUsage } from './types.js'
import { sessionWith } from './sessionWith.js'

/**
 * Runs calls under a session: checks them against what was granted and reserves the usage in
 * one atomic store update (so concurrent sends never pass a limit), signs through the
 * executor with a signer that checks the session is still live right before each signature,
 * and releases the reservation if it fails before the signed calls were handed on.
 *
 * @example
 * const { id } = await runInSession(context, session, calls, 31337)
 */
export async function runInSession(context: MethodContext, session: Session, calls: readonly ScopeCall[], chainId: number): Promise<{ id: string }> {
  const { store } = context
  // The signer, when the store holds an open key, is also the answer to "can it sign"; only
  // without one is the store asked why (a key it cannot open is an error of its own).
  const signer = session.keyAddress === undefined ? undefined : await store.keys.signer(session.keyAddress)
  if (signer === undefined && (await keyState(store, session)).kind === 'locked')
    throw new UnauthorizedError(`session ${session.id}: its key is in the store but cannot be opened here; this store was given another encryptionKey than the one the key was sealed with (or the key is damaged)`, {
      context: session.id,
      hint: 'open the store with the encryptionKey it was written with; sessions.get(id).status says locked until then',
    })
  const options = { chainId, now: context.now(), canSign: signer !== undefined, permissionKinds: context.options.wallet.permissionKinds }
  let decision: CheckScopeReturnType | undefined
  let before: SessionUsage | undefined
  await store.update(session.id, (stored) => {
    decision = checkScope(stored, calls, options)
    if (!decision.allowed) return undefined
    before = stored.usage
    return sessionWith(stored, { usage: decision.usage })
  })
  if (decision === undefined) throw new UnauthorizedError(`session ${session.id} is no longer in the store`, { context: session.id })
  if (!decision.allowed) {
    const reasons = decision.reasons.filter((reason) => reason !== null)
    if (reasons.some((reason) => reason.reason === 'expired')) context.emit('sessionExpired', session)
    throw new UnauthorizedError(`the calls do not fit session ${session.id}: ${reasons.map((r) => `call ${r.call}: ${r.message}`).join('; ')}`, {
      context: session.id,
      reasons: decision.reasons,
    })
  }
  const reserved = decision.usage
  let submitted = false
  const submitting = () => {
    submitted = true
  }
  const refused = () => {
    submitted = false
  }
  // Ids the executor made itself are answered here (the wallet never heard of them), from the
  // moment they exist: a send that fails after names its id, and the app asks about it later.
  const sentAs = (id: string) => {
    if (context.executor.getCallsStatus !== undefined) context.callsIds.add(id, chainId)
  }
  try {
    if (!signer) throw new InternalError(`session ${session.id} has no key to sign with`, { context: session.id })
    // Each signature re-reads the session: a revoke after the reservation still stops the key.
    const sent = await context.executor({ inner: context.inner, session, calls, chainId, signer: signingWhileLive(context, session.id, signer), submitting, refused, sentAs })
    sentAs(sent.id)
    return sent
  } catch (error) {
    // Signed calls that reached the wallet may execute whatever it answered: what they used stays used.
    if (submitted) throw error
    await store.update(session.id, (stored) => sessionWith(stored, { usage: release(stored.usage, before as SessionUsage, reserved, options.permissionKinds) }))
    throw error
  }
}

/**
 * Takes back what a reservation added (`reserved - before`), leaving what others added since.
 * MetaMask permissions' spends are reserved by the wallet dialect's `kinds` only, which release them.
 */
function release(current: SessionUsage, before: SessionUsage, reserved: SessionUsage, kinds: PermissionKinds | undefined): SessionUsage {
  const spent: Record<string, bigint> = { ...current.spent }
  for (const [token, amount] of Object.entries(reserved.spent)) {
    const added = amount - (before.spent[token] ?? 0n)
    if (added !== 0n) spent[token] = (spent[token] ?? 0n) - added
  }
  const spends = reserved.spends === before.spends || kinds === undefined ? current.spends : kinds.releaseSpends(current.spends, before.spends, reserved.spends)
  return {
    calls: current.calls - (reserved.calls - before.calls),
    native: current.native - (reserved.native - before.native),
    spent,
    ...(spends === undefined ? {} : { spends }),
  }
}
