import type { Address } from 'viem'
import { sendRoutedTransaction } from '../methods/eth_sendTransaction.js'
import type { MethodContext, MethodHandler } from '../methods/types.js'
import type { ScopeCall } from '../permissions/scope.js'
import { pickSession, routeTargets } from './pickSession.js'
import type { SessionTargets } from './sessionIndex.js'
import type { Session } from './types.js'

/**
 * The `autoRoute` option of `withSessionKeys`, as {@link autoRouting} makes it. Only an app that
 * passes one bundles the index of sessions by target and the routing itself.
 *
 * @example
 * const autoRoute: AutoRouting = autoRouting()
 */
export type AutoRouting = {
  /** @internal What a session is indexed under, besides its key. */
  readonly targets: SessionTargets
  /** @internal The live session that covers every call, if any. */
  readonly pick: (context: MethodContext, chainId: number, account: Address, calls: readonly ScopeCall[]) => Promise<Session | undefined>
  /** @internal `eth_sendTransaction`, signed by the session that covers it. */
  readonly sendTransaction: MethodHandler
}

/**
 * Signs `eth_sendTransaction` and `wallet_sendCalls` without a permissions context with a live
 * session that covers every call, instead of prompting; pass it as `autoRoute`. Calls no live
 * session covers go to the wallet as before. Without it, only `wallet_sendCalls` naming a
 * session's context is signed by keyleash, and this code is not bundled.
 *
 * @example
 * import { autoRouting, withSessionKeys } from 'keyleash'
 *
 * const provider = withSessionKeys(inner, { autoRoute: autoRouting() })
 * // viem's writeContract (an eth_sendTransaction) that a live session covers is signed with its key.
 */
export function autoRouting(): AutoRouting {
  return Object.freeze({ targets: routeTargets, pick: pickSession, sendTransaction: sendRoutedTransaction })
}
