import { type Address, isHex, numberToHex } from 'viem'
import { InvalidParamsError } from '../errors.js'
import type { AdvancedPermissionType } from './advancedTypes.js'
import type { KindPermission, PermissionRules, WireRule } from './dialects/types.js'
import { minAmount, narrowAddresses } from './narrow.js'
import { describe, readAddress, readArray, readBoolean, readObject, type Fields } from './read.js'
import type { Permission, RevocationMethods, SpendLimit } from './types.js'

/**
 * MetaMask's Advanced Permissions (ERC-7715 2026, `@metamask/7715-permission-types`): the eight
 * types its Smart Accounts Kit sends, read into keyleash's `spend` and `revocation` permissions
 * and written back in the same wire shape. The checks are the wallet's own caveat builders'
 * (amounts hex and positive, `maxAmount` above `initialAmount`, a period of at most ten years),
 * plus keyleash's: times are whole UNIX seconds, never milliseconds.
 */

// MetaMask's builders refuse a period longer than this (MAX_PERIOD_DURATION).
const maxPeriodDuration = 10 * 365 * 24 * 60 * 60
// UNIX seconds stay below this until the year 5138; a larger "time" is milliseconds.
const maxSeconds = 100_000_000_000
const maxUint256 = 2n ** 256n - 1n

const revocationFlags = ['erc20Approve', 'erc721Approve', 'erc721SetApprovalForAll', 'permit2Approve', 'permit2Lockdown', 'permit2InvalidateNonces'] as const

/**
 * Reads one of MetaMask's permission types, field by field.
 *
 * @example
 * parseAdvancedPermission('erc20-token-periodic', { tokenAddress, periodAmount: '0x64', periodDuration: 86_400, startTime }, 'permission')
 * // { type: 'spend', token, limit: { kind: 'periodic', periodAmount: 100n, periodDuration: 86_400, startTime } }
 */
export function parseAdvancedPermission(type: AdvancedPermissionType, value: unknown, field: string): KindPermission {
  const data = readObject(value ?? {}, `${field}.data`)
  const at = (name: string) => `${field}.data.${name}`
  const justification = readJustification(data.justification, at('justification'))
  const extra = justification === undefined ? {} : { justification }
  if (type === 'erc20-token-revocation')
    return { type: 'revocation', kind: 'erc20', methods: { ...noMethods, erc20Approve: true }, ...extra }
  if (type === 'token-approval-revocation') {
    const methods = { ...noMethods }
    for (const flag of revocationFlags) methods[flag] = readBoolean(data[flag], at(flag))
    if (!revocationFlags.some((flag) => methods[flag]))
      throw new InvalidParamsError(`${field}.data`, 'allows no revoking call; set at least one of ' + revocationFlags.join(', ') + ' to true')
    return { type: 'revocation', kind: 'approvals', methods, ...extra }
  }
  const token: Address | 'native' = type.startsWith('erc20-') ? readAddress(data.tokenAddress, at('tokenAddress')) : 'native'
  const startTime = data.startTime === undefined || data.startTime === null ? undefined : readTime(data.startTime, at('startTime'))
  let limit: DistributiveOmit<SpendLimit, 'startTime'>
  if (type.endsWith('-stream')) {
    const initialAmount = data.initialAmount === undefined || data.initialAmount === null ? 0n : readAmount(data.initialAmount, at('initialAmount'), true)
    const maxAmount = data.maxAmount === undefined || data.maxAmount === null ? maxUint256 : readAmount(data.maxAmount, at('maxAmount'), false)
    if (maxAmount <= initialAmount)
      throw new InvalidParamsError(at('maxAmount'), `must be greater than initialAmount (${initialAmount}), got ${maxAmount}`)
    limit = { kind: 'stream', initialAmount, maxAmount, amountPerSecond: readAmount(data.amountPerSecond, at('amountPerSecond'), false) }
  } else if (type.endsWith('-periodic')) {
    const periodDuration = data.periodDuration
    if (typeof periodDuration !== 'number' || !Number.isSafeInteger(periodDuration) || periodDuration <= 0 || periodDuration > maxPeriodDuration)
      throw new InvalidParamsError(at('periodDuration'), `must be a whole number of seconds from 1 to ${maxPeriodDuration} (ten years), got ${describe(periodDuration)}`)
    limit = { kind: 'periodic', periodAmount: readAmount(data.periodAmount, at('periodAmount'), false), periodDuration }
  } else limit = { kind: 'allowance', amount: readAmount(data.allowanceAmount, at('allowanceAmount'), false) }
  // An absent start is "when the wallet grants it": the wallet's answer says when that was.
  return { type: 'spend', token, limit: { ...limit, startTime }, ...extra }
}

const noMethods: RevocationMethods = {
  erc20Approve: false,
  erc721Approve: false,
  erc721SetApprovalForAll: false,
  permit2Approve: false,
  permit2Lockdown: false,
  permit2InvalidateNonces: false,
}

/** An amount as MetaMask sends it: 0x-hex, at most 256 bits; positive unless `zero` is allowed. */
function readAmount(value: unknown, field: string, zero: boolean): bigint {
  if (typeof value !== 'string' || !isHex(value, { strict: true }) || value.length < 3 || value.length > 66)
    throw new InvalidParamsError(field, `must be an amount as 0x-hex (at most 32 bytes), got ${describe(value)}`)
  const amount = BigInt(value)
  if (amount === 0n && !zero) throw new InvalidParamsError(field, 'must be positive, got 0x0')
  return amount
}

/** A time as MetaMask sends it: whole UNIX seconds as a JSON number. */
function readTime(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0)
    throw new InvalidParamsError(field, `must be a positive whole number of UNIX seconds, got ${describe(value)}`)
  if (value >= maxSeconds) throw new InvalidParamsError(field, `${value} looks like milliseconds; send UNIX seconds`)
  return value
}

function readJustification(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') throw new InvalidParamsError(field, `must be a string, got ${describe(value)}`)
  return value
}

/**
 * Reads a 2026 request's rules besides `expiry`: MetaMask's `redeemer` and `payee`; any other
 * rule is refused (a rule keyleash does not know it cannot enforce).
 *
 * @example
 * readAdvancedRules([{ type: 'payee', data: { addresses: [shop] }, field: 'rules[1]' }]) // { payees: [shop] }
 */
export function readAdvancedRules(rules: readonly WireRule[]): PermissionRules {
  const read: { redeemers?: Address[]; payees?: Address[] } = {}
  for (const { type, data, field } of rules) {
    if (type === 'redeemer') read.redeemers = readRuleAddresses(data, `${field}.data`)
    else if (type === 'payee') read.payees = readRuleAddresses(data, `${field}.data`)
    else throw new InvalidParamsError(`${field}.type`, `${describe(type)} is not a rule keyleash can enforce; use expiry, redeemer or payee`)
  }
  return read
}

/** A `redeemer` or `payee` rule's `data.addresses` (at least one address). */
function readRuleAddresses(value: unknown, field: string): Address[] {
  const addresses = readArray(readObject(value, field).addresses, `${field}.addresses`)
  if (addresses.length === 0) throw new InvalidParamsError(`${field}.addresses`, 'must hold at least one address')
  return addresses.map((address, i) => readAddress(address, `${field}.addresses[${i}]`))
}

/**
 * Puts the request's `redeemer` and `payee` rules on its permission, or refuses the rule the
 * permission cannot carry (never drops it): a payee on a revocation, either on keyleash's own types.
 *
 * @example
 * withRules(permission, { payees: [shop] }, 'rules')
 */
export function withRules(permission: Permission, rules: PermissionRules, field: string): Permission {
  if (rules.payees === undefined && rules.redeemers === undefined) return permission
  if (permission.type === 'spend') return { ...permission, ...rules }
  const rule = rules.payees !== undefined ? 'payee' : 'redeemer'
  if (permission.type === 'revocation' && rule === 'redeemer') return { ...permission, redeemers: rules.redeemers }
  throw new InvalidParamsError(field, `a ${rule} rule cannot be kept on a ${permission.type} permission; keyleash enforces it on MetaMask's token types only`, {
    hint: rule === 'payee' ? 'a revocation pays no one: send it without a payee rule' : 'send the permission without the rule',
  })
}

/**
 * The wire form of a `spend` or `revocation` permission (the kit's shape: amounts hex, times numbers).
 *
 * @example
 * encodeAdvancedPermission({ type: 'spend', token: 'native', limit: { kind: 'allowance', amount: 5n, startTime } })
 * // { type: 'native-token-allowance', data: { allowanceAmount: '0x5', startTime } }
 */
export function encodeAdvancedPermission(permission: KindPermission): { type: AdvancedPermissionType; data: Fields } {
  const justification = permission.justification === undefined ? {} : { justification: permission.justification }
  if (permission.type === 'revocation') {
    if (permission.kind === 'erc20') return { type: 'erc20-token-revocation', data: justification }
    return { type: 'token-approval-revocation', data: { ...permission.methods, ...justification } }
  }
  const { token, limit } = permission
  const family = token === 'native' ? 'native-token' : 'erc20-token'
  const tokenAddress = token === 'native' ? {} : { tokenAddress: token }
  const startTime = limit.startTime === undefined ? {} : { startTime: limit.startTime }
  const data =
    limit.kind === 'stream'
      ? { initialAmount: numberToHex(limit.initialAmount), maxAmount: numberToHex(limit.maxAmount), amountPerSecond: numberToHex(limit.amountPerSecond) }
      : limit.kind === 'periodic'
        ? { periodAmount: numberToHex(limit.periodAmount), periodDuration: limit.periodDuration }
        : { allowanceAmount: numberToHex(limit.amount) }
  return { type: `${family}-${limit.kind}`, data: { ...tokenAddress, ...data, ...startTime, ...justification } }
}

/**
 * The `redeemer` and `payee` rules of a permission, in the wire form (after `expiry`).
 *
 * @example
 * encodeRules({ type: 'spend', token, limit, payees: [shop] }) // [{ type: 'payee', data: { addresses: [shop] } }]
 */
export function encodeRules(permission: KindPermission): { type: 'redeemer' | 'payee'; data: { addresses: Address[] } }[] {
  return [
    ...(permission.redeemers ? [{ type: 'redeemer' as const, data: { addresses: [...permission.redeemers] } }] : []),
    ...(permission.type === 'spend' && permission.payees ? [{ type: 'payee' as const, data: { addresses: [...permission.payees] } }] : []),
  ]
}

/**
 * What a MetaMask permission names, as its wallet grants them: one per limit kind and token, or
 * per revocation kind.
 *
 * @example
 * advancedKey(permission) // 'spend:periodic:0x…' or 'revocation:erc20'
 */
export function advancedKey(permission: KindPermission): string {
  return permission.type === 'spend'
    ? `spend:${permission.limit.kind}:${permission.token === 'native' ? 'native' : permission.token.toLowerCase()}`
    : `revocation:${permission.kind}`
}

/**
 * A MetaMask permission no wider than asked, field by field, whatever the wallet answered
 * (`isAdjustmentAllowed` lets it grant less; it never lets keyleash sign for more): the
 * smaller amounts, the later start, the longer period, the revoking calls both allow, the
 * payees and redeemers both name (either side's where the other has none).
 *
 * @example
 * narrowAdvanced(asked, granted) // granted's lower periodAmount, the payees both name
 */
export function narrowAdvanced<permission extends KindPermission>(asked: permission, granted: permission): permission {
  const redeemers = narrowAddresses(asked.redeemers, granted.redeemers)
  const payees = asked.type === 'spend' && granted.type === 'spend' ? narrowAddresses(asked.payees, granted.payees) : undefined
  const rules = { ...(redeemers ? { redeemers } : {}), ...(payees ? { payees } : {}) }
  if (asked.type === 'revocation' && granted.type === 'revocation') {
    const methods = { ...asked.methods }
    for (const flag of revocationFlags) methods[flag] = asked.methods[flag] && granted.methods[flag]
    return { ...asked, ...rules, methods }
  }
  if (asked.type !== 'spend' || granted.type !== 'spend') return asked
  const a = asked.limit
  const g = granted.limit
  const startTime = Math.max(a.startTime ?? 0, g.startTime ?? 0) || undefined
  let limit: SpendLimit = a
  if (a.kind === 'stream' && g.kind === 'stream')
    limit = { ...a, initialAmount: minAmount(a.initialAmount, g.initialAmount), maxAmount: minAmount(a.maxAmount, g.maxAmount), amountPerSecond: minAmount(a.amountPerSecond, g.amountPerSecond), startTime }
  else if (a.kind === 'periodic' && g.kind === 'periodic')
    limit = { ...a, periodAmount: minAmount(a.periodAmount, g.periodAmount), periodDuration: Math.max(a.periodDuration, g.periodDuration), startTime }
  else if (a.kind === 'allowance' && g.kind === 'allowance') limit = { ...a, amount: minAmount(a.amount, g.amount), startTime }
  return { ...asked, ...rules, limit }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never
