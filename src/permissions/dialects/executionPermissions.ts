import { numberToHex, type Address } from 'viem'
import { InvalidParamsError } from '../../errors.js'
import type { ExpiryRules } from '../expiry.js'
import { assertWithinCap, parseGrantParts, type GrantDraft } from '../grantRequest.js'
import { encodePermission } from '../permission.js'
import { describe, readAddress, readArray, readBoolean, readObject, type Fields } from '../read.js'
import { signerAddress } from '../signer.js'
import type { GrantRequest, Permission } from '../types.js'
import { pick } from './erc7715.js'
import type { AppDialect, PermissionKinds, PermissionRules, WireRule } from './types.js'
import { isKindPermission } from '../advancedTypes.js'

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

  parse(params, rules, kinds) {
    const list = readArray(params, 'params')
    if (list.length === 0) throw new InvalidParamsError('params', 'must hold at least one permission request')
    assertWithinCap(list.length, 'params')
    // The expiry here is a named timestamp: it is never read as a duration, whatever the
    // provider's `expiryMode` (`duration` is for dialects whose expiry is one, Openfort's).
    const timestamps: ExpiryRules = { ...rules, mode: 'timestamp' }
    return list.map((value, i) => parseRequest(readObject(value, `[${i}]`), `[${i}].`, timestamps, kinds))
  },

  answer(sessions, kinds) {
    return sessions.flatMap((session) =>
      session.permissions.map((permission) => ({
        ...encodeRequest(session, signerAddress(session.signer), permission, kinds),
        context: session.id,
        dependencies: [],
        ...pick(session.walletData, ['dependencies', 'delegationManager']),
      })),
    )
  },
}

function parseRequest(body: Fields, path: string, rules: ExpiryRules, kinds: PermissionKinds | undefined): GrantDraft {
  const permission = readObject(body.permission, `${path}permission`)
  if (permission.isAdjustmentAllowed !== undefined) readBoolean(permission.isAdjustmentAllowed, `${path}permission.isAdjustmentAllowed`)
  const { expiry, expiryIndex, others } = readRules(body.rules, `${path}rules`)
  const extra = readOtherRules(others, kinds)
  if (expiry === undefined)
    throw new InvalidParamsError(`${path}rules`, 'needs an expiry rule ({ type: "expiry", data: { timestamp } }); keyleash never grants a session without an end')
  // MetaMask also accepts `address` for `from`.
  const accountField = body.from !== undefined ? 'from' : 'address'
  const draft = parseGrantParts({
    path,
    rules,
    chainId: body.chainId ?? missing(`${path}chainId`),
    account: body[accountField],
    accountField,
    signer: body.to === undefined ? undefined : { type: 'account', address: readAddress(body.to, `${path}to`) },
    expiry,
    expiryField: `rules[${expiryIndex}].data.timestamp`,
    permissions: [{ value: permission, field: `${path}permission` }],
    permissionsField: `${path}permission`,
    adjustmentAllowed: permission.isAdjustmentAllowed as boolean | undefined,
    kinds,
  })
  return kinds ? { ...draft, permissions: draft.permissions.map((p) => kinds.withRules(p, extra, `${path}rules`)) } : draft
}

/** The rules besides `expiry`, read by the wallet dialect's `kinds` (MetaMask's `redeemer` and `payee`); without them, refused: keyleash cannot enforce them. */
function readOtherRules(rules: readonly WireRule[], kinds: PermissionKinds | undefined): PermissionRules {
  if (kinds) return kinds.readRules(rules)
  const [rule] = rules
  if (rule === undefined) return {}
  throw new InvalidParamsError(`${rule.field}.type`, `${describe(rule.type)} is not a rule keyleash can enforce here; use expiry`, {
    ...(rule.type === 'redeemer' || rule.type === 'payee' ? { hint: "redeemer and payee are MetaMask's rules: make the provider with wallet: executionPermissions from keyleash/wallets" } : {}),
  })
}

function missing(field: string): never {
  throw new InvalidParamsError(field, 'is required')
}

/** A 2026 request's rules, read: the `expiry` timestamp (unchecked: the caller reads it) and the others, as sent. */
export type Rules = { expiry: unknown; expiryIndex: number; others: WireRule[] }

/**
 * Reads a 2026 request's `rules`: `expiry`, and the others as sent (for {@link readOtherRules});
 * a rule given twice is refused.
 *
 * @example
 * readRules([{ type: 'expiry', data: { timestamp } }, { type: 'payee', data: { addresses: [shop] } }], 'rules')
 * // { expiry: timestamp, expiryIndex: 0, others: [{ type: 'payee', data: { addresses: [shop] }, field: 'rules[1]' }] }
 */
export function readRules(value: unknown, field: string): Rules {
  const rules: Rules = { expiry: undefined, expiryIndex: -1, others: [] }
  if (value === undefined || value === null) return rules
  const seen = new Set<unknown>()
  readArray(value, field).forEach((raw, i) => {
    const at = `${field}[${i}]`
    const rule = readObject(raw, at)
    if (seen.has(rule.type)) throw new InvalidParamsError(`${at}.type`, `a second ${describe(rule.type)} rule; send one`)
    seen.add(rule.type)
    if (rule.type === 'expiry') {
      rules.expiry = readObject(rule.data, `${at}.data`).timestamp
      rules.expiryIndex = i
    } else rules.others.push({ type: rule.type, data: rule.data, field: at })
  })
  return rules
}

/** One request in the 2026 wire shape: what an app is answered with and what a 2026 wallet is sent. */
export function encodeRequest(grant: Pick<GrantRequest, 'chainId' | 'account' | 'expiry' | 'adjustmentAllowed'>, to: Address | undefined, permission: Permission, kinds?: PermissionKinds) {
  const expiry = { type: 'expiry', data: { timestamp: grant.expiry } }
  return {
    chainId: numberToHex(grant.chainId),
    from: grant.account,
    ...(to ? { to } : {}),
    // An app that did not say lets the wallet adjust, as ERC-7715 wallets assume.
    permission: { ...encodePermission(permission, kinds), isAdjustmentAllowed: grant.adjustmentAllowed ?? true },
    // encodePermission has refused a kind without `kinds` already.
    rules: kinds && isKindPermission(permission) ? [expiry, ...kinds.encodeRules(permission)] : [expiry],
  }
}
