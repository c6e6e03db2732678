import { type Address, type Hex, maxUint48, zeroAddress, zeroHash } from 'viem'
import { InvalidParamsError } from '../../errors.js'
import { transferSelector } from '../../permissions/calldata.js'
import type { ResolvedGrantRequest } from '../../permissions/dialects/types.js'
import { signerAddress } from '../../permissions/signer.js'
import type { EnforcedRule, GrantRequest } from '../../permissions/types.js'

/** What the owner registers on the Delegated Account for a session key (`registerKey`'s argument). */
export type KeyRegistration = {
  keyType: 0
  eoa: Address
  x: Hex
  y: Hex
  validAfter: number
  validUntil: number
  limit: number
  whitelist: Address[]
  allowedSelectors: Hex[]
  ethLimit: bigint
  spendToken: Address
  spendLimit: bigint
}

/** The Delegated Account's key manager holds at most this many selectors and whitelisted targets per key. */
const maxEntries = 10

/**
 * The functions each target may be called with: a contract-call's own selectors, `transfer` on an
 * `erc20-transfer`'s token. Refuses what the account cannot hold for a key.
 */
function selectorsByTarget(request: Pick<GrantRequest, 'permissions'>): Map<string, Set<string>> {
  const byTarget = new Map<string, Set<string>>()
  const add = (target: Address, selectors: readonly Hex[]) => {
    const set = byTarget.get(target.toLowerCase()) ?? new Set<string>()
    for (const selector of selectors) set.add(selector.toLowerCase())
    byTarget.set(target.toLowerCase(), set)
  }
  request.permissions.forEach((permission, i) => {
    if (permission.type === 'contract-call') {
      // An empty selector list admits no call at all: the account cannot say "any function".
      if (permission.selectors === 'any')
        throw new InvalidParamsError(`permissions[${i}]`, "a Delegated Account holds a key to a list of functions; it cannot register one for any function", {
          hint: 'name the functions the session may call',
        })
      add(permission.target, permission.selectors)
    } else if (permission.type === 'erc20-transfer') add(permission.token, [transferSelector])
    else if (permission.type !== 'native-transfer')
      throw new InvalidParamsError(`permissions[${i}].type`, `a Delegated Account registers contract-call, native-transfer and erc20-transfer permissions, not ${permission.type}`)
  })
  return byTarget
}

/**
 * The registration of `request`'s session key on a Delegated Account: its targets (the
 * whitelist), the union of its functions, its native value as the key's ETH limit, its one
 * token allowance as the spend limit, its call limit (none: the uint48 maximum, never 0, which
 * the account reads as a master key) and its window from `now`. Throws an `InvalidParamsError`
 * for what the account cannot hold: more than 10 targets or functions, any-function calls, a
 * second token, payees, a key without an address.
 *
 * @example
 * const registration = delegatedKeyRegistration(request, now)
 */
export function delegatedKeyRegistration(request: ResolvedGrantRequest, now: number): KeyRegistration {
  const key = signerAddress(request.signer)
  if (request.signer.type !== 'account' || key === undefined)
    throw new InvalidParamsError('signer', 'a Delegated Account registers a session key by its address here: grant to an account signer (the default, a keyleash-made secp256k1 key)')
  const byTarget = selectorsByTarget(request)
  if (byTarget.size === 0) throw new InvalidParamsError('permissions', 'a Delegated Account key needs at least one target: name a contract-call or erc20-transfer')
  if (byTarget.size > maxEntries)
    throw new InvalidParamsError('permissions', `a Delegated Account registers a session key for at most ${maxEntries} targets; this grant names ${byTarget.size}`, {
      hint: `split the targets over several sessions of at most ${maxEntries} each`,
    })
  const selectors = new Set([...byTarget.values()].flatMap((set) => [...set]))
  if (selectors.size > maxEntries)
    throw new InvalidParamsError('permissions', `a Delegated Account registers a session key for at most ${maxEntries} functions; this grant names ${selectors.size}`)
  let ethLimit = 0n
  const tokens: { token: Address; allowance: bigint }[] = []
  request.permissions.forEach((permission, i) => {
    if (permission.type === 'native-transfer') {
      // The account caps the key's ETH, whoever is paid: it cannot hold a transfer to named payees.
      if (permission.payees !== undefined)
        throw new InvalidParamsError(`permissions[${i}].payees`, 'a Delegated Account caps a key\'s ETH in total but cannot name who is paid', { hint: 'grant the native value without payees' })
      ethLimit += permission.allowance
    } else if (permission.type === 'erc20-transfer') tokens.push(permission)
  })
  const [spend, second] = tokens
  if (second) throw new InvalidParamsError('permissions', 'a Delegated Account holds a key to one token spend limit; this grant names two tokens', { hint: 'grant one erc20-transfer per session' })
  const callLimit = request.policies.find((policy) => policy.type === 'call-limit')
  return {
    keyType: 0,
    eoa: key,
    x: zeroHash,
    y: zeroHash,
    validAfter: now,
    validUntil: request.expiry,
    limit: callLimit?.count ?? Number(maxUint48),
    // The spend token is whitelisted by the account itself, with its limit.
    whitelist: [...byTarget.keys()].filter((target) => target !== spend?.token.toLowerCase()) as Address[],
    allowedSelectors: [...selectors] as Hex[],
    ethLimit,
    spendToken: spend?.token ?? zeroAddress,
    spendLimit: spend?.allowance ?? 0n,
  }
}

/**
 * The rules a Delegated Account enforces for a key registered by {@link delegatedKeyRegistration}:
 * targets, value, spend, the call limit and the window always; the selectors only when every
 * target may be called with the same functions (the account keeps one list for all of them, so
 * a function granted on one target would be admitted on another). Throws, as the registration
 * does, for a grant the account cannot hold.
 *
 * @example
 * delegatedEnforces(request) // ['target', 'selector', 'value', 'spend', 'call-limit', 'expiry']
 */
export function delegatedEnforces(request: Pick<GrantRequest, 'permissions'>): EnforcedRule[] {
  const sets = [...selectorsByTarget(request).values()].map((set) => [...set].sort().join())
  const uniform = sets.every((set) => set === sets[0])
  return uniform ? ['target', 'selector', 'value', 'spend', 'call-limit', 'expiry'] : ['target', 'value', 'spend', 'call-limit', 'expiry']
}
