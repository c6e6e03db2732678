import type { Address, LocalAccount } from 'viem'
import type { SessionKeySigner } from './p256Key.js'
import { UnauthorizedError } from '../errors.js'
import type { MethodContext } from '../methods/types.js'
import { accountScope, inScope } from './accountScope.js'
import { isLive } from './find.js'
import type { Session } from './types.js'

/** A session key that may sign here, and the live sessions it is the key of. */
export type SessionSignerReturnType = { signer: LocalAccount; sessions: readonly Session[] }

/** The sessions a key address is the key of: all of them, and those of this provider's accounts. */
export type SessionKeyOf = { indexed: readonly Session[]; own: readonly Session[]; accounts: readonly Address[] }

/**
 * The sessions `address` is the key of, when one of them is a session of this provider's
 * accounts; `undefined` when it is not a session key here (the request is then the wallet's).
 * The key of a session of an account this provider does not serve (a store shared by several
 * users) is not a session key here, exactly as an unknown address. Live or not: what such a key
 * may sign is the caller's to decide ({@link sessionSigner}), and without the `signing` opt-in it
 * signs nothing, unread.
 *
 * @example
 * const key = await sessionKeyOf(context, '0x…')
 */
export async function sessionKeyOf(context: MethodContext, address: Address): Promise<SessionKeyOf | undefined> {
  let indexed = await context.index.byKey(address)
  // Not a session key as far as this instance knows: another one sharing the store may have granted it.
  if (indexed.length === 0 && context.index.refresh(context.now())) indexed = await context.index.byKey(address)
  if (indexed.length === 0) return undefined
  // Another account's sessions (a store shared by several users) are none of this caller's:
  // a key that is only theirs is no session key here, live or revoked alike.
  const accounts = await accountScope(context)
  const own = indexed.filter((candidate) => inScope(accounts, candidate))
  return own.length === 0 ? undefined : { indexed, own, accounts }
}

/**
 * The signer of session key `address` ({@link sessionKeyOf}), with every live session it signs
 * for. The key of one of this provider's sessions that has expired or was revoked never signs
 * again: a 4100, not a pass-through. What the key may sign is the caller's to decide.
 *
 * @example
 * const found = await sessionSigner(context, '0x…', key)
 */
export async function sessionSigner(context: MethodContext, address: Address, { indexed, own, accounts }: SessionKeyOf): Promise<SessionSignerReturnType> {
  const now = context.now()
  const gone = () =>
    new UnauthorizedError(`${address} is the key of a session that has expired or was revoked; it signs no more`, {
      field: 'address',
      hint: 'grant a new session',
    })
  const sessions = await liveInStore(context, own, now)
  if (sessions.length === 0) throw gone()
  // A signature by the key is good for every session it is the key of: a live one of another
  // account (one key the app brought to two users' grants) is enough to refuse, unnamed.
  if ((await liveInStore(context, indexed.filter((candidate) => !inScope(accounts, candidate)), now)).length > 0)
    throw new UnauthorizedError(`${address} is also the key of a live session of an account this provider does not serve; a signature by it would be good there too, so it does not sign here`, {
      field: 'address',
      hint: 'give each account a session key of its own',
    })
  const signer = await context.store.keys.signer(address)
  if (!signer)
    throw new UnauthorizedError(`the store holds no key for ${address}; import it (sessions.importKey) or grant a new session`, { field: 'address' })
  if (signer.type === 'p256')
    throw new UnauthorizedError(`${address} names a P-256 session key, which has no Ethereum address to sign as: it signs only calls keyleash checks (wallet_sendCalls with the session's context)`, {
      field: 'address',
      hint: "for personal_sign or eth_signTypedData_v4 from a session key, grant with keyType 'secp256k1'",
    })
  // Read again once the key is open (a read and a decryption on a persistent store): a revoke
  // that finished meanwhile is not followed by a signature.
  const still = await liveInStore(context, sessions, context.now())
  if (still.length === 0) throw gone()
  return { signer, sessions: still }
}

/** The sessions among `candidates` that are live, confirmed in the store (the index may be older: a revoke by another instance). */
async function liveInStore(context: MethodContext, candidates: readonly Session[], now: number): Promise<Session[]> {
  const live: Session[] = []
  for (const candidate of candidates) {
    if (!isLive(candidate, now)) continue
    const stored = await context.store.get(candidate.id)
    if (stored && isLive(stored, now)) live.push(stored)
  }
  return live
}

/**
 * `signer`, made to read session `id` from the store again right before each signature and to
 * refuse (4100) once it was revoked, expired or removed. The executor gets this one: a revoke
 * that lands after the calls were checked and reserved, while the wallet prepares them, still
 * stops the key from signing.
 *
 * @example
 * const signer = signingWhileLive(context, session.id, await store.keys.signer(session.keyAddress))
 */
export function signingWhileLive<signer extends SessionKeySigner>(context: MethodContext, id: string, signer: signer): signer {
  // Made once per key, session and provider, not per send: eleven closures and a copy of the
  // account a send were a measurable part of keyleash's own cost on the hot path.
  let made = guardedSigners.get(signer)
  const cached = made?.get(id)
  if (cached?.context === context) return cached.guarded as signer
  const guard =
    <args extends unknown[], result>(sign: (...args: args) => Promise<result>) =>
    (...args: args): Promise<result> =>
      context.store.get(id).then((stored) => {
        if (!stored || !isLive(stored, context.now()))
          throw new UnauthorizedError(`session ${id} was revoked or expired while its calls were being prepared; its key signed nothing`, {
            context: id,
            hint: 'grant a new session',
          })
        return sign(...args)
      })
  // Every way a key signs, each guarded: a P-256 key has `sign` and `signMessage`, an account all five.
  const guarded: Record<string, unknown> = { ...signer }
  for (const name of signingMethods) {
    const sign = (signer as Record<string, unknown>)[name]
    if (typeof sign === 'function') guarded[name] = guard(sign.bind(signer) as (...args: unknown[]) => Promise<unknown>)
  }
  Object.freeze(guarded)
  if (made === undefined) guardedSigners.set(signer, (made = new Map()))
  made.set(id, { context, guarded: guarded as SessionKeySigner })
  return guarded as signer
}

const signingMethods = ['sign', 'signMessage', 'signTransaction', 'signTypedData', 'signAuthorization'] as const

// By the key's signer (gone with it), then by session id.
const guardedSigners = new WeakMap<SessionKeySigner, Map<string, { context: MethodContext; guarded: SessionKeySigner }>>()
