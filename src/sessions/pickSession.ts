import type { Address } from 'viem'
import type { MethodContext } from '../methods/types.js'
import { checkScope, type ScopeCall } from '../permissions/scope.js'
import { accountScope, inScope } from './accountScope.js'
import { liveFor, type SessionIndex, type SessionTargets } from './sessionIndex.js'
import type { Session } from './types.js'

// A plain transfer (no calldata) fits any session with a native allowance, whatever its target.
const nativeTarget = 'native'

/**
 * What auto-routing indexes an active signing session under: `chain:account:target` of each
 * contract it may call, token it may spend, and `native` for a native allowance; walked newest
 * first by {@link liveFor}.
 *
 * @example
 * const index = sessionIndex(store, routeTargets)
 */
export const routeTargets: SessionTargets = /* @__PURE__ */ Object.freeze({ of: targetsOf, live: liveFor })

function targetsOf(session: Session): Set<string> {
  const prefix = `${session.chainId}:${session.account.toLowerCase()}:`
  const targets = new Set<string>()
  for (const permission of session.permissions) {
    if (permission.type === 'contract-call') targets.add(prefix + permission.target.toLowerCase())
    else if (permission.type === 'erc20-transfer') targets.add(prefix + permission.token.toLowerCase())
    else if (permission.type === 'native-transfer') targets.add(prefix + nativeTarget)
  }
  return targets
}

/**
 * Live signing sessions that might cover `calls` (the first call's target decides), newest
 * first, read lazily: stop at the first that fits (the scope check decides). `index` must be
 * made with {@link routeTargets}.
 *
 * @example
 * for (const session of await candidates(index, 31337, account, [{ to: nft, data }], now)) …
 */
export async function candidates(index: SessionIndex, chainId: number, account: Address, calls: readonly ScopeCall[], now: number): Promise<Iterable<Session>> {
  const [first] = calls
  if (!first) return []
  const prefix = `${chainId}:${account.toLowerCase()}:`
  const forTarget = await index.liveByTarget(prefix + first.to.toLowerCase(), now)
  const isTransfer = first.data === undefined || first.data === '0x'
  return isTransfer ? distinct(forTarget, await index.liveByTarget(prefix + nativeTarget, now)) : forTarget
}

/** The sessions of `first`, then those of `second` not already given. */
function* distinct(first: Iterable<Session>, second: Iterable<Session>): Generator<Session> {
  const given = new Set<Session>()
  for (const session of first) {
    given.add(session)
    yield session
  }
  for (const session of second) if (!given.has(session)) yield session
}

/**
 * The live signing session that covers every call, for auto-routing; `undefined` when none
 * does, or when `account` is not one of the provider's (the calls then go to the wallet as
 * usual). The index narrows the search to sessions that name the first call's target and
 * hands them newest first; the first the scope check allows is the one, so the cost does not
 * grow with the sessions behind it.
 *
 * @example
 * const session = await pickSession(context, 31337, account, [{ to: nft, data }])
 */
export async function pickSession(context: MethodContext, chainId: number, account: Address, calls: readonly ScopeCall[]): Promise<Session | undefined> {
  // Sessions of accounts this provider does not serve (a store shared by several users) are never picked.
  if (!inScope(await accountScope(context), { account })) return undefined
  const now = context.now()
  const options = { chainId, now, canSign: true, permissionKinds: context.options.wallet.permissionKinds }
  const pick = async () => {
    // The index's copy is the session as granted: a candidate it allows is checked again as
    // stored now (its usage, a revoke by another instance), so a session whose limits were
    // reached is passed over (the calls go to the wallet) instead of picked and refused.
    // Whether the key is held is checked in the store when the usage is reserved.
    for (const session of await candidates(context.index, chainId, account, calls, now)) {
      if (!checkScope(session, calls, options).allowed) continue
      const stored = await context.store.get(session.id)
      if (stored && checkScope(stored, calls, options).allowed) return stored
    }
    return undefined
  }
  // A miss may be a session another instance sharing the store granted: look once more.
  return (await pick()) ?? (context.index.refresh(now) ? pick() : undefined)
}
