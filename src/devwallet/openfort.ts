import { type Address, type Hex, bytesToHex } from 'viem'
import { InvalidParamsError } from '../errors.js'
import { encodePermissions } from '../permissions/dialects/erc7715.js'
import { erc7715 } from '../permissions/dialects/index.js'
import { readArray, readObject, readPositiveInteger, type Fields } from '../permissions/read.js'
import { signerAddress } from '../permissions/signer.js'
import type { Permission, Policy } from '../permissions/types.js'
import { ANY_SELECTOR } from './contracts.js'
import { type Registration, checkRegistration } from './registration.js'

// Openfort keeps at most this many target contracts per session on-chain.
const maxTargets = 10

// The policies Openfort refuses outright, by the name they have on the wire (string or `{ custom }`).
const refusedPolicies = new Set(['rate-limit', 'gas-limit', 'token-allowance'])

/** An Openfort grant read: what to register and the answer to give once it is registered. */
export type OpenfortGrant = {
  registration: Registration
  /** `{ expiry: validUntil, grantedPermissions, permissionsContext: 'ses_…' }` */
  answer: { expiry: number; grantedPermissions: unknown[]; permissionsContext: string }
}

/**
 * Reads a grant the way Openfort's embedded wallet does (REFERENCE §1.B), quirks included, so
 * the middleware's Openfort encoder is tested against them:
 * - `expiry` is a duration: `validUntil = now + expiry`, now being the chain's clock (the latest
 *   block's timestamp, which on an idle automining chain, or one just reverted, lags the wall
 *   clock: the session is then that much shorter, never longer);
 * - only `data.address` of each `contract-call` is used: every function of at most 10 targets
 *   (the answer says so truthfully, with `calls: []`);
 * - the one limit is a `call-limit` read from the FIRST permission's policy whose type is
 *   `{ custom: 'call-limit' }`, with `data.limit`; a plain-string `'call-limit'` (viem's
 *   flattening) is ignored, as Openfort ignores it;
 * - `key`/`keys` signers, `native-token-transfer`, `rate-limit`, `gas-limit` and
 *   `token-allowance` are refused (the caller recodes every refusal to -32003, as Openfort does).
 *
 * @example
 * const { registration, answer } = openfortGrant([{ expiry: 86_400, signer, permissions }], now, 31_536_000, account)
 */
export function openfortGrant(params: unknown, now: number, maxExpiry: number, account: Address): OpenfortGrant {
  const request = readObject(readArray(params, 'params')[0], 'params[0]')
  const signerType = readObject(request.signer, 'signer').type
  if (signerType !== 'account')
    throw new InvalidParamsError('signer.type', `Openfort takes an account signer, not ${JSON.stringify(signerType)}`)
  const rawPermissions = readArray(request.permissions, 'permissions')
  let callLimit = 0
  rawPermissions.forEach((raw, i) => {
    const permission = readObject(raw, `permissions[${i}]`)
    const type = typeName(permission.type)
    if (type !== 'contract-call')
      throw new InvalidParamsError(`permissions[${i}].type`, `Openfort does not grant ${JSON.stringify(type)} permissions; only contract-call`)
    const policies = permission.policies === undefined ? [] : readArray(permission.policies, `permissions[${i}].policies`)
    policies.forEach((rawPolicy, j) => {
      const policy = readObject(rawPolicy, `permissions[${i}].policies[${j}]`)
      const name = typeName(policy.type)
      if (refusedPolicies.has(name))
        throw new InvalidParamsError(`permissions[${i}].policies[${j}].type`, `Openfort does not support a ${name} policy`)
      // Openfort's quirk: only the first permission, only `type.custom`, only `data.limit`.
      if (i === 0 && callLimit === 0 && isCustom(policy.type, 'call-limit'))
        callLimit = readPositiveInteger(readObject(policy.data, `permissions[0].policies[${j}].data`).limit, `permissions[0].policies[${j}].data.limit`)
    })
  })

  // The rest (addresses, selectors, the expiry's range) is the middleware's own parsing.
  const [draft] = erc7715.parse(params, { now, mode: 'duration', maxExpiry })
  if (!draft) throw new InvalidParamsError('params', 'must hold one grant request')
  const key = draft.signer ? signerAddress(draft.signer) : undefined
  if (key === undefined) throw new InvalidParamsError('signer', 'Openfort takes an account signer')
  const targets = draft.permissions.flatMap((p) => (p.type === 'contract-call' ? [p.target] : []))
  if (targets.length > maxTargets)
    throw new InvalidParamsError('permissions', `Openfort allows at most ${maxTargets} target contracts per session, got ${targets.length}`)

  const registration: Registration = {
    key,
    validUntil: draft.expiry,
    scopes: targets.map((target) => ({ target, selector: ANY_SELECTOR })),
    callLimit,
    nativeAllowance: 0n,
    tokens: [],
  }
  checkRegistration(registration, account, '')
  const granted: Permission[] = targets.map((target) => ({ type: 'contract-call', target, selectors: 'any' }))
  const policies: Policy[] = callLimit > 0 ? [{ type: 'call-limit', count: callLimit }] : []
  return {
    registration,
    answer: {
      expiry: registration.validUntil,
      grantedPermissions: encodePermissions(granted, policies, openfortPolicy),
      permissionsContext: sessionContext(),
    },
  }
}

/** Openfort writes its limit back the way it reads it (a call-limit is the only policy it grants). */
function openfortPolicy(policy: Policy) {
  return { type: { custom: 'call-limit' }, data: { limit: policy.type === 'call-limit' ? policy.count : 0 } }
}

/** `ses_` and random hex: Openfort's session ids mean nothing outside its backend. */
function sessionContext(): string {
  const id: Hex = bytesToHex(crypto.getRandomValues(new Uint8Array(12)))
  return `ses_${id.slice(2)}`
}

function typeName(type: unknown): string {
  if (typeof type === 'string') return type
  if (typeof type === 'object' && type !== null && typeof (type as Fields).custom === 'string') return (type as { custom: string }).custom
  return String(type)
}

function isCustom(type: unknown, name: string): boolean {
  return typeof type === 'object' && type !== null && (type as Fields).custom === name
}
