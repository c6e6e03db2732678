import { InvalidParamsError } from '../../errors.js'
import type { Session } from '../../sessions/types.js'
import { parseGrantBody } from '../grantRequest.js'
import { encodePermission, encodePolicy, parsePermission, mergePolicies } from '../permission.js'
import { readArray, readGrantedExpiry, readObject, readString, type Fields } from '../read.js'
import type { Grant, Permission, Policy, Signer } from '../types.js'
import { grantedContexts } from './grantedContexts.js'
import type { AppDialect, PermissionKinds, ResolvedGrantRequest, WalletDialect } from './types.js'

/**
 * ERC-7715 as viem's `erc7715Actions().grantPermissions` speaks it (the June 2024 draft):
 * one request object without chain or account, policies on each permission, one answer
 * object with `permissionsContext`. What apps send through viem, and the wallet dialect
 * `withSessionKeys` speaks unless told another.
 *
 * @see https://viem.sh/experimental/erc7715/grantPermissions
 * @example
 * import { withSessionKeys } from 'keyleash'
 * import { erc7715 } from 'keyleash/wallets'
 *
 * const provider = withSessionKeys(walletProvider, { wallet: erc7715 }) // the same as no `wallet`
 */
export const erc7715: WalletDialect & AppDialect = {
  name: 'erc7715',
  grantMethod: 'wallet_grantPermissions',
  revokeMethod: 'wallet_revokePermissions',
  batches: false,
  // What the dev wallet's SessionAccount, which speaks it, holds every session to on chain.
  enforces: ['target', 'selector', 'value', 'spend', 'call-limit', 'expiry'],

  parse(params, rules, kinds) {
    const list = readArray(params, 'params')
    if (list.length !== 1) throw new InvalidParamsError('params', `must hold one grant request, got ${list.length}`)
    return [parseGrantBody(readObject(list[0], 'params[0]'), '', rules, kinds)]
  },

  answer(sessions, kinds) {
    const [session] = sessions
    if (!session || sessions.length > 1) throw new TypeError('the June 2024 draft answers exactly one grant')
    const answer = { expiry: session.expiry, grantedPermissions: encodePermissions(session.permissions, session.policies, encodePolicy, kinds), permissionsContext: session.id }
    return pick(session.walletData, ['factory', 'factoryData', 'signerData'], answer)
  },

  encode(requests) {
    return requests.map((request) => encodeBody(request))
  },

  decode(result, requests) {
    return [decodeAnswer(result, requests)]
  },

  encodeRevoke(session) {
    return [{ permissionContext: session.id }]
  },

  granted: grantedContexts,
}

/** The June 2024 wire body; the session's limits ride on the first permission, where wallets read them. */
export function encodeBody(request: ResolvedGrantRequest | Session) {
  return {
    expiry: request.expiry,
    signer: encodeSigner(request.signer),
    permissions: encodePermissions(request.permissions, request.policies),
  }
}

/**
 * Permissions in the June 2024 wire form, the session's policies on the first. Fields are
 * written out, not spread: this runs on every grant, and a spread costs tens of times more.
 *
 * @example
 * encodePermissions([{ type: 'contract-call', target: nft, selectors: 'any' }], [{ type: 'call-limit', count: 10 }])
 * // [{ type: 'contract-call', data: { address: nft, calls: [] }, policies: [{ type: 'call-limit', data: { count: 10 } }], required: true }]
 */
export function encodePermissions(
  permissions: readonly Permission[],
  policies: readonly Policy[],
  encode: (policy: Policy) => unknown = encodePolicy,
  kinds?: PermissionKinds,
) {
  const encoded: { type: string; data: unknown; policies: unknown[]; required: boolean }[] = []
  for (const permission of permissions) {
    const { type, data } = encodePermission(permission, kinds)
    const required = permission.type !== 'custom' || permission.required
    encoded.push({ type, data, policies: encoded.length === 0 ? policies.map(encode) : [], required })
  }
  return encoded
}

/** The June 2024 signer shapes, as viem writes them. */
export function encodeSigner(signer: Signer) {
  switch (signer.type) {
    case 'account':
      return { type: 'account', data: { id: signer.address } }
    case 'key':
      return { type: 'key', data: { id: signer.key.publicKey } }
    case 'keys':
      return { type: 'keys', data: { ids: signer.keys.map((key) => key.publicKey) } }
    case 'wallet':
      return { type: 'wallet' }
  }
}

/** Reads `{ expiry, grantedPermissions, permissionsContext, … }`, the answer of June 2024 wallets. */
export function decodeAnswer(result: unknown, requests: readonly ResolvedGrantRequest[]): Grant {
  const [request] = requests
  if (!request || requests.length !== 1) throw new TypeError('the June 2024 draft carries exactly one grant')
  const answer = readObject(result, 'result')
  const permissions: Permission[] = []
  const policies: Policy[] = []
  readArray(answer.grantedPermissions, 'result.grantedPermissions').forEach((value, i) => {
    const parsed = parsePermission(value, `result.grantedPermissions[${i}]`)
    permissions.push(parsed.permission)
    policies.push(...parsed.policies)
  })
  return {
    context: readString(answer.permissionsContext, 'result.permissionsContext'),
    expiry: readGrantedExpiry(answer.expiry, 'result.expiry', request.expiry),
    permissions,
    policies: mergePolicies(policies),
    walletData: pick(answer, ['factory', 'factoryData', 'signerData']),
  }
}

/**
 * The named keys of `source` that are present, set on `into` (a new object unless given):
 * adding them to an answer costs less than spreading a picked copy into it.
 *
 * @example
 * pick({ factory, other: 1 }, ['factory', 'factoryData']) // { factory }
 */
export function pick<into extends Record<string, unknown>>(source: Fields | undefined, keys: readonly string[], into: into = {} as into): into & Record<string, unknown> {
  const picked: Record<string, unknown> = into
  if (source) for (const key of keys) if (source[key] !== undefined) picked[key] = source[key]
  return into
}

