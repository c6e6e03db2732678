import { InvalidParamsError } from '../errors.js'
import { encodePermissions } from '../permissions/dialects/erc7715.js'
import type { WalletDialect } from '../permissions/dialects/types.js'
import { mergePolicies, parsePermission } from '../permissions/permission.js'
import { readArray, readObject, readPositiveInteger, readString, type Fields } from '../permissions/read.js'
import { signerAddress } from '../permissions/signer.js'
import { openfortDelegatedRegistration } from './openfortDelegated/dialect.js'
import type { Grant, Permission, Policy, Signer } from '../permissions/types.js'

/** Openfort's account types that take session keys, as its API and SDK name them. */
export type OpenfortAccountType = 'Smart Account' | 'Delegated Account'

/** Options of {@link openfortWallet}. */
export type OpenfortWalletOptions = {
  /**
   * The user's account type at Openfort (`accountType` of the SDK's embedded account, e.g.
   * `(await openfort.embeddedWallet.get()).accountType`): what a `limit` of the answer means
   * depends on it, and its EIP-1193 provider does not say.
   */
  accountType: OpenfortAccountType
  /**
   * Delegated Account only: keyleash registers each session key itself, by the owner's own call
   * on the account (one transaction the owner signs through Openfort's provider: the account's
   * `execute` running its key manager's `registerKey`, a `setCanCall` per function granted on a
   * target and a `setTokenSpend` per ETH or token limit, as Openfort's published 7702 account
   * takes them), with the grant's functions and limits, which Openfort's session API cannot
   * carry; the account then enforces them (`Session.enforcedBy`). Default: `false`, the session
   * API (`wallet_grantPermissions`).
   */
  registerOnAccount?: boolean | undefined
}

/**
 * Openfort's embedded wallet (`@openfort/openfort-js` 1.6.0) for an account of a known type: see
 * {@link openfort}, plus what the type changes.
 *
 * - `'Smart Account'` (BaseOpenfortAccount): a `limit` of 0 is a key with no calls left, and is
 *   refused (and revoked).
 * - `'Delegated Account'` (EIP-7702): a `limit` of 0 is a MASTER key (any call, any target, any
 *   value, no expiry) and is refused and revoked; since Openfort registers a session asked without
 *   a limit with limit 0, a grant without a `call-limit` is refused before Openfort is asked.
 *
 * On both, the wallet enforces the target whitelist, the call limit (a batch of n uses n) and the
 * window. A Delegated Account's contract can also hold a key to selectors, an ETH limit and a token
 * limit, but Openfort's session API has no field for them (the SDK sends `whitelist` and `limit`
 * only), so through it keyleash alone holds a session to its selectors, value and spend. With
 * `registerOnAccount`, a Delegated Account's keys are registered by the owner's own call on the
 * account instead, and the account enforces those too (each function on its own target; value
 * unless the grant holds a token allowance).
 *
 * @example
 * import { withSessionKeys } from 'keyleash'
 * import { openfortExecutor, openfortWallet } from 'keyleash/wallets'
 *
 * const accountType = 'Delegated Account' // (await openfort.embeddedWallet.get()).accountType
 * const provider = withSessionKeys(openfortProvider, {
 *   wallet: openfortWallet({ accountType }),
 *   executor: openfortExecutor({ backend, account: 'acc_…', accountType }),
 * })
 *
 * // The Delegated Account itself holding the key to the grant's functions, ETH and token limits:
 * const enforced = openfortWallet({ accountType: 'Delegated Account', registerOnAccount: true })
 */
export function openfortWallet(options: OpenfortWalletOptions): WalletDialect {
  const accountType = (options as { accountType?: unknown } | undefined)?.accountType
  if (accountType !== 'Smart Account' && accountType !== 'Delegated Account')
    throw new InvalidParamsError('accountType', `must be 'Smart Account' or 'Delegated Account', got ${JSON.stringify(accountType)}`, {
      hint:
        accountType === 'Externally Owned Account'
          ? 'Openfort grants no session keys on an Externally Owned Account (its SDK answers 4200)'
          : "pass the accountType of the user's Openfort account",
    })
  if (!options.registerOnAccount) return openfortDialect(accountType)
  if (accountType !== 'Delegated Account')
    throw new InvalidParamsError('registerOnAccount', 'only a Delegated Account registers its session keys by its owner\'s own call; a Smart Account grants through Openfort\'s session API', {
      hint: 'leave registerOnAccount off for a Smart Account',
    })
  return openfortDelegatedRegistration(openfortDialect(accountType))
}

/**
 * Openfort's embedded wallet (`@openfort/openfort-js` 1.6.0), as its SDK really behaves, for an
 * account whose type keyleash is not told (see {@link openfortWallet} to tell it): the June 2024
 * request shape with an `expiry` that is a duration; the session key named by its address (an
 * `account` signer, or a `key` signer, which the SDK reads the same way); `contract-call`
 * permissions only, at least 1 and at most 10 target contracts a session (none would let the key
 * call any contract; more are refused before the wallet is asked: its account reverts), of which
 * Openfort whitelists the TARGETS and never the functions (selectors are enforced by keyleash
 * alone, see `Session.enforcedBy`); one limit, a `call-limit` read from `type.custom` with
 * `data.limit`. It answers every permission with a `usage-limit` policy (the call limit; `limit`
 * undefined when none) and `calls: []`, and revokes by the session key's address. An answer with
 * `limit: 0` is refused and revoked: Openfort's first Delegated Account read it as a master key (its
 * current one refuses it), a Smart Account as a key with no calls left. Sending goes through transaction intents: use `openfortExecutor`,
 * Openfort has no ERC-7836 `wallet_prepareCalls`.
 *
 * @example
 * import { withSessionKeys } from 'keyleash'
 * import { openfort, openfortExecutor } from 'keyleash/wallets'
 *
 * const provider = withSessionKeys(openfortProvider, { wallet: openfort, executor: openfortExecutor({ backend }) })
 */
// Pure: an app that imports another dialect does not bundle this one.
export const openfort: WalletDialect = /* @__PURE__ */ openfortDialect(undefined)

function openfortDialect(accountType: OpenfortAccountType | undefined): WalletDialect {
  return {
    name: 'openfort',
    grantMethod: 'wallet_grantPermissions',
    revokeMethod: 'wallet_revokePermissions',
    batches: false,
    // The same on both types: the session API carries a whitelist, a limit and a window, nothing else.
    enforces: ['target', 'call-limit', 'expiry'],
    requiresExecutor: 'openfortExecutor({ backend, account }) from keyleash/wallets',

    encode(requests, { now }) {
      return requests.map((request) => {
        const targets = new Set<string>()
        request.permissions.forEach((permission, i) => {
          if (permission.type !== 'contract-call')
            throw new InvalidParamsError(`permissions[${i}].type`, `Openfort grants contract-call permissions only, not ${permission.type}`)
          targets.add(permission.target.toLowerCase())
        })
        // Openfort's accounts read an empty whitelist as "any contract" (a master key on a Smart
        // Account without a limit): a grant must name its targets.
        if (targets.size === 0)
          throw new InvalidParamsError('permissions', "Openfort's accounts let a key with no target whitelist call any contract; name at least one contract-call target")
        // The SDK sends any number; the account's registerSessionKey reverts "Whitelist too big" past 10.
        if (targets.size > maxTargets)
          throw new InvalidParamsError('permissions', `Openfort's account registers a session key for at most ${maxTargets} target contracts; this grant names ${targets.size}`, {
            hint: `split the targets over several sessions of at most ${maxTargets} each`,
          })
        if (accountType === 'Delegated Account' && !request.policies.some((policy) => policy.type === 'call-limit'))
          throw new InvalidParamsError('policies', "on a Delegated Account, Openfort registers a session without a limit with limit 0, which Openfort's first Delegated Account read as a master key and its current one refuses", {
            hint: 'add a call-limit policy (the number of calls the key may make)',
          })
        return {
          expiry: request.expiry - now,
          signer: encodeOpenfortSigner(request.signer),
          permissions: encodePermissions(request.permissions, request.policies, encodeOpenfortPolicy),
        }
      })
    },

    decode(result, requests) {
      const [request] = requests
      if (!request || requests.length !== 1) throw new TypeError('Openfort grants one session per call')
      const answer = readObject(result, 'result')
      const permissions: Permission[] = []
      const policies: Policy[] = []
      const granted = readArray(answer.grantedPermissions, 'result.grantedPermissions')
      // No whitelist: a key that may call any contract, whatever the account type.
      if (granted.length === 0) throw new InvalidParamsError('result.grantedPermissions', 'is empty: Openfort registered the key with no target whitelist, for any contract')
      granted.forEach((value, i) => {
        const field = `result.grantedPermissions[${i}]`
        const { usage, rest } = splitUsageLimit(readObject(value, field), field, accountType)
        const parsed = parsePermission(rest, field)
        permissions.push(parsed.permission)
        policies.push(...parsed.policies, ...usage)
      })
      const grant: Grant = {
        context: readString(answer.permissionsContext, 'result.permissionsContext'),
        // The SDK answers `Number(validUntil) || 0`: 0 is a session it could not date, not one that never ends.
        expiry: readPositiveInteger(answer.expiry, 'result.expiry'),
        permissions,
        policies: mergePolicies(policies),
      }
      return [grant]
    },

    encodeRevoke(session) {
      // The SDK sends `permissionContext` to the backend as the session key's address.
      const address = signerAddress(session.signer)
      if (address === undefined) throw new TypeError('an Openfort session always has a signer with an address')
      return [{ permissionContext: address }]
    },

    // Openfort revokes by the session key's address, which the request carried: whatever the
    // answer, the key the grant went to is what to revoke, and its address is the context to give.
    // A `key` signer too: the SDK registered it by the same address (see encodeOpenfortSigner).
    granted(_result, requests) {
      return requests.flatMap((request) => {
        const address = signerAddress(request.signer)
        return address === undefined ? [] : [{ id: address, signer: request.signer }]
      })
    },
  }
}

/**
 * Openfort's accounts on chain: a session key's whitelist holds at most 10 targets, and a batch
 * at most 9 calls (facts of `BaseOpenfortAccount` and the 7702 account's key manager).
 *
 * @example
 * if (calls.length > openfortLimits.callsPerBatch) split(calls)
 */
export const openfortLimits = { targets: 10, callsPerBatch: 9 } as const
const maxTargets = openfortLimits.targets

/** The SDK reads `signer.data.id` as the session key's address, for `account` and `key` alike. */
function encodeOpenfortSigner(signer: Signer) {
  const address = signerAddress(signer)
  if ((signer.type !== 'account' && signer.type !== 'key') || address === undefined)
    throw new InvalidParamsError(
      'signer',
      signer.type === 'key'
        ? 'Openfort names a session key by its address: send an uncompressed secp256k1 key (65 bytes) or an account signer'
        : `Openfort takes an account or key signer, not "${signer.type}"`,
    )
  return { type: signer.type, data: { id: address } }
}

// Openfort reads the limit from `type.custom`, so the type must stay an object: viem's
// flattening to a string is how a call limit gets silently lost there.
function encodeOpenfortPolicy(policy: Policy) {
  if (policy.type !== 'call-limit')
    throw new InvalidParamsError('policies', `Openfort cannot enforce a ${policy.type} policy; only call-limit`)
  return { type: { custom: 'call-limit' }, data: { limit: policy.count } }
}

/** What a `limit` of 0 means on each account type: never what a grant asks for. */
const zeroLimit: Record<OpenfortAccountType | 'unknown', string> = {
  'Delegated Account': "Openfort's first Delegated Account read limit 0 as a master key (any call, any target, any value, no expiry), and its current one refuses it",
  'Smart Account': 'a Smart Account key with limit 0 has no calls left',
  unknown: "on Openfort's first Delegated Account a master key (any call, any target, no expiry), on a Smart Account a key with no calls left",
}

/**
 * Openfort's `usage-limit` (on every permission it grants) is the session's call limit, and a
 * missing `limit` is no limit; 0 is refused, as the account type reads it; the other policies are
 * read as any draft's.
 */
function splitUsageLimit(permission: Fields, field: string, accountType: OpenfortAccountType | undefined): { usage: Policy[]; rest: Fields } {
  if (permission.policies === undefined) return { usage: [], rest: permission }
  const usage: Policy[] = []
  const others: unknown[] = []
  readArray(permission.policies, `${field}.policies`).forEach((raw, j) => {
    const policy = readObject(raw, `${field}.policies[${j}]`)
    const type = typeof policy.type === 'object' && policy.type !== null ? (policy.type as Fields).custom : policy.type
    if (type !== 'usage-limit') return void others.push(raw)
    const limitField = `${field}.policies[${j}].data.limit`
    const limit = policy.data === undefined ? undefined : readObject(policy.data, `${field}.policies[${j}].data`).limit
    if (limit === 0) throw new InvalidParamsError(limitField, `is 0: ${zeroLimit[accountType ?? 'unknown']}`)
    if (limit !== undefined && limit !== null) usage.push({ type: 'call-limit', count: readPositiveInteger(limit, limitField) })
  })
  return { usage, rest: { ...permission, policies: others } }
}
