import { UnauthorizedError } from '../errors.js'
import type { EnforcedRule, Enforcer, GrantRequest } from './types.js'

/**
 * Every rule a session is held to, in the order they are reported.
 *
 * @example
 * enforcedRules.includes('selector') // true
 */
export const enforcedRules: readonly EnforcedRule[] = ['target', 'selector', 'value', 'spend', 'call-limit', 'expiry']

/**
 * Who enforces each rule of a session granted by a wallet that enforces `enforces`: the
 * wallet, or keyleash alone (before it signs; a leaked key is not held to it).
 *
 * @example
 * enforcedBy(['target', 'call-limit', 'expiry']).selector // 'keyleash' (Openfort)
 */
export function enforcedBy(enforces: readonly EnforcedRule[]): Readonly<Record<EnforcedRule, Enforcer>> {
  const record = {} as Record<EnforcedRule, Enforcer>
  for (const rule of enforcedRules) record[rule] = enforces.includes(rule) ? 'wallet' : 'keyleash'
  return record
}

/**
 * The rules a grant holds its session to: a target list, an expiry and a value cap (none
 * granted: 0) always; selectors when a contract-call names functions; a spend cap with a
 * token permission; a call limit when one is asked.
 *
 * @example
 * rulesOf(request) // ['target', 'selector', 'value', 'expiry']
 */
export function rulesOf(request: Pick<GrantRequest, 'permissions' | 'policies'>): EnforcedRule[] {
  const selector = request.permissions.some((p) => p.type === 'contract-call' && p.selectors !== 'any')
  const spend = request.permissions.some((p) => p.type === 'erc20-transfer')
  const callLimit = request.policies.some((p) => p.type === 'call-limit')
  return enforcedRules.filter((rule) => (rule === 'selector' ? selector : rule === 'spend' ? spend : rule === 'call-limit' ? callLimit : true))
}

/**
 * The `requireWalletEnforcement` option, as {@link walletEnforcement} makes it.
 *
 * @example
 * const requireWalletEnforcement: WalletEnforcement = walletEnforcement()
 */
export type WalletEnforcement = {
  /** @internal Refuses a grant that holds its session to a rule the wallet does not enforce. */
  readonly assert: typeof assertWalletEnforces
}

/**
 * Refuses (4100, before the wallet is asked) a grant that would hold its session to a rule the
 * wallet does not enforce itself; pass it as `requireWalletEnforcement`. Without it, such rules
 * are held by keyleash alone (`session.enforcedBy` says which, rule by rule), and an app does not
 * bundle this check.
 *
 * @example
 * import { walletEnforcement, withSessionKeys } from 'keyleash'
 *
 * const provider = withSessionKeys(inner, { wallet: openfort, executor, requireWalletEnforcement: walletEnforcement() })
 * // a grant that names functions is refused: Openfort holds targets, not selectors
 */
export function walletEnforcement(): WalletEnforcement {
  return Object.freeze({ assert: assertWalletEnforces })
}

/**
 * `requireWalletEnforcement`: refuses (4100, before the wallet is asked) a grant that would
 * hold its session to a rule the wallet does not enforce.
 *
 * @example
 * assertWalletEnforces(requests, openfort) // throws: selector is keyleash-only under openfort
 */
export function assertWalletEnforces<request extends Pick<GrantRequest, 'permissions' | 'policies'>>(
  requests: readonly request[],
  wallet: { name: string; enforces: readonly EnforcedRule[]; enforcesFor?: ((request: request) => readonly EnforcedRule[]) | undefined },
): void {
  for (const [i, request] of requests.entries()) {
    const enforces = wallet.enforcesFor?.(request) ?? wallet.enforces
    const rule = rulesOf(request).find((r) => !enforces.includes(r))
    if (rule === undefined) continue
    throw new UnauthorizedError(
      `grant${requests.length > 1 ? ` ${i}` : ''}: the wallet (${wallet.name}) does not enforce the ${rule} rule, only keyleash would, and requireWalletEnforcement is on`,
      { field: 'permissions', rule, hint: `grant without a ${rule} rule, or turn requireWalletEnforcement off; the wallet enforces ${enforces.join(', ') || 'nothing'}` },
    )
  }
}
