import { numberToHex, type Address } from 'viem'
import { InvalidParamsError } from '../../errors.js'
import type { ExpiryRules } from '../expiry.js'
import { assertWithinCap, parseGrantParts, type GrantDraft } from '../grantRequest.js'
import { encodePermission } from '../permission.js'
import { describe, readAddress, readArray, readObject, type Fields } from '../read.js'
import { signerAddress } from '../signer.js'
import type { GrantRequest, Permission } from '../types.js'
import { pick } from './erc7715.js'
import type { AppDialect } from './types.js'

/**
 * ERC-7715 as of January 2026, `wallet_requestExecutionPermissions`, as an app asks in it:
 * one permission per request, granted `from` the user's account `to` a session account, its
 * end an `expiry` rule; `isAdjustmentAllowed` says whether the wallet may grant less. Its
 * wallet half, which speaks it to a wallet, is in `src/wallets/`.
 *
 * @see https://eips.ethereum.org/EIPS/eip-7715
 */
export const executionPermissionRequests: AppDialect = {
  name: 'execution-permissions',

  parse(params, rules) {
    const list = readArray(params, 'params')
    if (list.length === 0) throw new InvalidParamsError('params', 'must hold at least one permission request')
    assertWithinCap(list.length, 'params')
    // The expiry here is a named timestamp: it is never read as a duration.
    const timestamps: ExpiryRules = rules.mode === 'auto' ? { ...rules, mode: 'timestamp' } : rules
    return list.map((value, i) => parseRequest(readObject(value, `[${i}]`), `[${i}].`, timestamps))
  },

  answer(sessions) {
    return sessions.flatMap((session) =>
      session.permissions.map((permission) => ({
        ...encodeRequest(session, signerAddress(session.signer), permission),
        context: session.id,
        dependencies: [],
        ...pick(session.walletData, ['dependencies', 'delegationManager']),
      })),
    )
  },
}

function parseRequest(body: Fields, path: string, rules: ExpiryRules): GrantDraft {
  const permission = readObject(body.permission, `${path}permission`)
  if (permission.isAdjustmentAllowed !== undefined && typeof permission.isAdjustmentAllowed !== 'boolean')
    throw new InvalidParamsError(`${path}permission.isAdjustmentAllowed`, `must be true or false, got ${describe(permission.isAdjustmentAllowed)}`)
  const expiry = readExpiryRule(body.rules, `${path}rules`)
  if (expiry === undefined)
    throw new InvalidParamsError(`${path}rules`, 'needs an expiry rule ({ type: "expiry", data: { timestamp } }); keyleash never grants a session without an end')
  // MetaMask also accepts `address` for `from`.
  const accountField = body.from !== undefined ? 'from' : 'address'
  return parseGrantParts({
    path,
    rules,
    chainId: body.chainId ?? missing(`${path}chainId`),
    account: body[accountField],
    accountField,
    signer: body.to === undefined ? undefined : { type: 'account', address: readAddress(body.to, `${path}to`) },
    expiry,
    expiryField: `rules[${expiryRuleIndex(body.rules)}].data.timestamp`,
    permissions: [{ value: permission, field: `${path}permission` }],
    permissionsField: `${path}permission`,
    adjustmentAllowed: permission.isAdjustmentAllowed as boolean | undefined,
  })
}

function missing(field: string): never {
  throw new InvalidParamsError(field, 'is required')
}

/** Where the `expiry` rule sits in a list of rules (-1 when none), for error paths. */
export function expiryRuleIndex(rules: unknown): number {
  return Array.isArray(rules) ? rules.findIndex((rule) => (rule as Fields | null)?.type === 'expiry') : -1
}

/** The `expiry` rule's timestamp, unchecked (the caller reads it); other rule types are refused. */
export function readExpiryRule(value: unknown, field: string): unknown {
  if (value === undefined) return undefined
  let timestamp: unknown
  readArray(value, field).forEach((raw, i) => {
    const rule = readObject(raw, `${field}[${i}]`)
    if (rule.type !== 'expiry')
      throw new InvalidParamsError(`${field}[${i}].type`, `${describe(rule.type)} is not a rule keyleash can enforce; use expiry`)
    timestamp = readObject(rule.data, `${field}[${i}].data`).timestamp
  })
  return timestamp
}

/** One request in the 2026 wire shape: what an app is answered with and what a 2026 wallet is sent. */
export function encodeRequest(grant: Pick<GrantRequest, 'chainId' | 'account' | 'expiry' | 'adjustmentAllowed'>, to: Address | undefined, permission: Permission) {
  return {
    chainId: numberToHex(grant.chainId),
    from: grant.account,
    ...(to ? { to } : {}),
    // An app that did not say lets the wallet adjust, as ERC-7715 wallets assume.
    permission: { ...encodePermission(permission), isAdjustmentAllowed: grant.adjustmentAllowed ?? true },
    rules: [{ type: 'expiry', data: { timestamp: grant.expiry } }],
  }
}
