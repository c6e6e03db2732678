import type { MethodContext } from '../methods/types.js'
import type { RevocableGrant, WalletCallContext, WalletDialect, WalletGrant } from '../permissions/dialects/types.js'
import { walletAccount, walletChainId } from '../walletState.js'

/**
 * What a dialect's own `grant` / `revoke` gets: the inner wallet, its chain and connected
 * account (asked now: the user may have switched), and the clock.
 *
 * @example
 * await dialect.revoke(session, await walletCallContext(context))
 */
async function walletCallContext(context: Pick<MethodContext, 'inner' | 'now'>): Promise<WalletCallContext> {
  const [chainId, owner] = await Promise.all([walletChainId(context.inner), walletAccount(context.inner)])
  return { inner: context.inner, chainId, owner, now: context.now() }
}

/**
 * Revokes one grant at the wallet the way its dialect does: its own `revoke` (which gets a
 * stored session, or what its `grant` reported live: both carry the account and chain), or
 * the ERC-7715 revoke method with `encodeRevoke`'s params.
 *
 * @example
 * await revokeAtWallet(options.wallet, session, context)
 */
export async function revokeAtWallet(dialect: WalletDialect, grant: RevocableGrant, context: Pick<MethodContext, 'inner' | 'now'>): Promise<void> {
  if (dialect.revoke) return dialect.revoke(grant as WalletGrant, await walletCallContext(context))
  await context.inner.request({ method: dialect.revokeMethod, params: dialect.encodeRevoke(grant) })
}
