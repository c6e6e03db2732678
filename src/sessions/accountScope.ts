import type { Address } from 'viem'
import type { MethodContext } from '../methods/types.js'
import { walletAccounts } from '../walletState.js'
import type { Session } from './types.js'

/**
 * The accounts whose sessions this provider may use, list and revoke: the `account` option
 * when the app gave one (a server that serves one user per provider), otherwise the inner
 * wallet's connected accounts, asked each time (the user may have switched). A store shared
 * by several providers (several users on one Redis) holds sessions of other accounts; they
 * are none of this provider's business.
 *
 * @example
 * const accounts = await accountScope(context) // ['0xd8dA…6045']
 */
export function accountScope(context: MethodContext): Promise<readonly Address[]> {
  // Not async: one promise fewer on every send.
  return context.options.account !== undefined ? Promise.resolve(context.options.account) : walletAccounts(context.inner)
}

/**
 * Whether `session` was granted by one of `accounts` (compared without regard to case).
 *
 * @example
 * if (!inScope(await accountScope(context), session)) return forward()
 */
export function inScope(accounts: readonly Address[], session: Pick<Session, 'account'>): boolean {
  // The very string most often (both checksummed), found without lower-casing each on every send.
  if (accounts.includes(session.account)) return true
  const account = session.account.toLowerCase()
  return accounts.some((candidate) => candidate.toLowerCase() === account)
}

