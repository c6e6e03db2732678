import type { Address } from 'viem'
import type { MethodContext } from '../methods/types.js'
import { checkScope, type ScopeCall } from '../permissions/scope.js'
import { accountScope, inScope } from './accountScope.js'
import type { Session } from './types.js'

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
    // Whether the key is held, and whether another instance revoked the session, is checked in the store when the usage is reserved.
    for (const session of await context.index.candidates(chainId, account, calls, now)) if (checkScope(session, calls, options).allowed) return session
    return undefined
  }
  // A miss may be a session another instance sharing the store granted: look once more.
  return (await pick()) ?? (context.index.refresh(now) ? pick() : undefined)
}
