import { InvalidParamsError } from '../errors.js'
import { encodePermissions } from '../permissions/dialects/erc7715.js'
import type { WalletDialect } from '../permissions/dialects/types.js'
import { mergePolicies, parsePermission } from '../permissions/permission.js'
import { readArray, readObject, readPositiveInteger, readString, type Fields } from '../permissions/read.js'
import { signerAddress } from '../permissions/signer.js'
import type { Grant, Permission, Policy, Signer } from '../permissions/types.js'

/**
 * Openfort's embedded wallet (`@openfort/openfort-js` 1.6.0), as its SDK really behaves: the
 * June 2024 request shape with an `expiry` that is a duration; the session key named by its
 * address (an `account` signer, or a `key` signer, which the SDK reads the same way);
 * `contract-call` permissions only, at most 10 target contracts a session (more are refused
 * before the wallet is asked: its account reverts), of which Openfort whitelists the TARGETS and never the
 * functions (selectors are enforced by keyleash alone, see `Session.enforcedBy`); one limit, a
 * `call-limit` read from `type.custom` with `data.limit`. It answers every permission with a
 * `usage-limit` policy (the call limit; `limit` undefined when none) and `calls: []`, and
 * revokes by the session key's address. Sending goes through transaction intents: use
 * `openfortExecutor`, Openfort has no ERC-7836 `wallet_prepareCalls`.
 *
 * @example
 * import { withSessionKeys } from 'keyleash'
 * import { openfort, openfortExecutor } from 'keyleash/wallets'
 *
 * const provider = withSessionKeys(openfortProvider, { wallet: openfort, executor: openfortExecutor({ backend }) })
 */
export const openfort: WalletDialect = {
  name: 'openfort',
  grantMethod: 'wallet_grantPermissions',
  revokeMethod: 'wallet_revokePermissions',
  batches: false,
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
      // The SDK sends any number; the account's registerSessionKey reverts "Whitelist too big" past 10.
      if (targets.size > maxTargets)
        throw new InvalidParamsError('permissions', `Openfort's account registers a session key for at most ${maxTargets} target contracts; this grant names ${targets.size}`, {
          hint: `split the targets over several sessions of at most ${maxTargets} each`,
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
    readArray(answer.grantedPermissions, 'result.grantedPermissions').forEach((value, i) => {
      const field = `result.grantedPermissions[${i}]`
      const { usage, rest } = splitUsageLimit(readObject(value, field), field)
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
  granted(_result, requests) {
    return requests.flatMap((request) => (request.signer.type === 'account' ? [{ id: request.signer.address, signer: request.signer }] : []))
  },
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

/**
 * Openfort's `usage-limit` (on every permission it grants) is the session's call limit, and a
 * missing `limit` is no limit; the other policies are read as any draft's.
 */
function splitUsageLimit(permission: Fields, field: string): { usage: Policy[]; rest: Fields } {
  if (permission.policies === undefined) return { usage: [], rest: permission }
  const usage: Policy[] = []
  const others: unknown[] = []
  readArray(permission.policies, `${field}.policies`).forEach((raw, j) => {
    const policy = readObject(raw, `${field}.policies[${j}]`)
    const type = typeof policy.type === 'object' && policy.type !== null ? (policy.type as Fields).custom : policy.type
    if (type !== 'usage-limit') return void others.push(raw)
    const limit = policy.data === undefined ? undefined : readObject(policy.data, `${field}.policies[${j}].data`).limit
    if (limit !== undefined && limit !== null) usage.push({ type: 'call-limit', count: readPositiveInteger(limit, `${field}.policies[${j}].data.limit`) })
  })
  return { usage, rest: { ...permission, policies: others } }
}
