import type { Address } from 'viem'
import type { MethodContext } from '../methods/types.js'
import { checkScope, type ScopeCall } from '../permissions/scope.js'
import { accountScope, inScope } from './accountScope.js'
import type { Session } from './types.js'

/**
 * The live signing session that covers every call, for auto-routing; `undefined` when none
 * does, or when `account` is not one of the provider's (the calls then go to the wallet as
 * usual). The index narrows the search to sessions
 * that name the first call's target; the scope check decides among them.
 *
 * @example
 * const session = await pickSession(context, 31337, account, [{ to: nft, data }])
 */
export async function pickSession(context: MethodContext, chainId: number, account: Address, calls: readonly ScopeCall[]): Promise<Session | undefined> {
  // Sessions of accounts this provider does not serve (a store shared by several users) are never picked.
  if (!inScope(await accountScope(context), { account })) return undefined
  const now = context.now()
  const pick = async () =>
    // Whether the key is held is checked again when the usage is reserved.
    (await context.index.candidates(chainId, account, calls, now)).find((session) => checkScope(session, calls, { chainId, now, canSign: true }).allowed)
  // A miss may be a session another instance sharing the store granted: look once more.
  return (await pick()) ?? (context.index.refresh(now) ? pick() : undefined)
}
