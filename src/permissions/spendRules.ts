import { type Address, type Hex, formatEther, pad, size } from 'viem'
import type { Session, SessionUsage, SpendUsage } from '../sessions/types.js'
import { readWord, selectorOf, transferSelector } from './calldata.js'
import { type CheckScopeOptions, type CheckScopeReturnType, callLimitOf, isoTime, type ScopeCall, type ScopeReason, short } from './scope.js'
import type { Permission, RevocationMethods, SpendLimit } from './types.js'
import { isHexBytes } from './isHexBytes.js'
import { isKindPermission } from './advancedTypes.js'
import { minAmount } from './narrow.js'
import type { KindPermission } from './dialects/types.js'

/**
 * The scope check of MetaMask's Advanced Permissions (`spend` and `revocation`), as its caveat
 * enforcers decide each redemption, so that what keyleash lets the session key redeem the
 * DelegationManager executes, and what an enforcer would revert is refused before it is sent:
 * - native `spend`: a plain transfer (no calldata, `ExactCalldataEnforcer`), to a payee if the
 *   grant names them (`AllowedTargetsEnforcer`);
 * - ERC-20 `spend`: `transfer(to, amount)` on the token, exactly 68 bytes, no value
 *   (`ERC20PeriodTransferEnforcer` / `ERC20StreamingEnforcer`, `ValueLteEnforcer`), `to` a payee if
 *   named (`AllowedCalldataEnforcer`);
 * - the amount within the limit: `periodic` resets every `periodDuration` from `startTime`,
 *   unspent amounts lost; `stream` has `min(maxAmount, initialAmount + amountPerSecond × elapsed)
 *   − spent`; `allowance` is a total; nothing before `startTime`;
 * - `revocation`: only the revoking calls it names (`approve(x, 0)`, `setApprovalForAll(x, false)`,
 *   Permit2 `approve(…, 0, …)`, `lockdown`, `invalidateNonces`), with no value. The
 *   ApprovalRevocationEnforcer also refuses to revoke an approval that is not there: chain state
 *   this pure check cannot see, left to the wallet (the executor's gas estimate catches it);
 * - a `redeemer` rule: the session key (which redeems) must be one of them;
 * - a session-wide `call-limit` policy, when the app's dialect carried one.
 * Each call is one redemption under one permission (MetaMask's enforcers take single calls only);
 * with several permissions a call fits the first that allows it.
 */

/** The reasons this module gives, besides the shared ones (`value-over-limit`, `spend-over-allowance`). */
export type SpendReasonDetails = {
  /** The call is not the transfer (or revocation) the permission allows. */
  'not-a-transfer': { target: Address; selector: Hex }
  'spend-not-started': { startTime: number; now: number }
  /** `periodEnd`: UNIX seconds at which the period ends and the amount is whole again. */
  'spend-over-period-limit': { token: Address | 'native'; amount: string; remaining: string; periodAmount: string; periodEnd: number }
  'spend-over-stream': { token: Address | 'native'; amount: string; available: string }
  'payee-not-allowed': { payee: Address; payees: Address[] }
  'redeemer-not-allowed': { redeemer: Address | undefined; redeemers: Address[] }
  'not-a-revocation': { target: Address; selector: Hex }
}

/**
 * Rules 1 onwards of the scope check for a session with MetaMask permissions (the session rules,
 * rule 0, are checked before). Pure; the usage returned adds what the calls spend.
 *
 * @example
 * checkSpendCalls(session, [{ to: token, data: transferData }], { chainId, now, canSign: true })
 */
export function checkSpendCalls(session: Session, batch: readonly ScopeCall[], options: CheckScopeOptions): CheckScopeReturnType {
  const permissions = session.permissions
  // A session-wide call limit (an app's policy beside the permission) still holds.
  const callLimit = callLimitOf(session.policies)
  // This batch's copy of the spends, made on the first spend: the session's is never written.
  let spends: Record<string, SpendUsage> | undefined
  let used = session.usage.calls
  const reasons: (ScopeReason | null)[] = []
  let allowed = true
  for (let call = 0; call < batch.length; call++) {
    let reason: ScopeReason | undefined
    if (callLimit !== undefined && used + 1 > callLimit)
      reason = { call, reason: 'call-limit-reached', message: `all ${callLimit} calls of this session are used; grant a new session`, calls: used, count: callLimit }
    else {
      let fits = false
      for (let i = 0; i < permissions.length && !fits; i++) {
        const permission = permissions[i] as Permission
        if (!isKindPermission(permission)) continue
        const result = checkCall(call, batch[call] as ScopeCall, permission, (spends ?? session.usage.spends)?.[i], session.keyAddress, options.now)
        if ('reason' in result) reason ??= result
        else {
          fits = true
          reason = undefined
          if (result.spent !== undefined) (spends ??= { ...session.usage.spends })[i] = result.spent
        }
      }
    }
    reasons.push(reason ?? null)
    if (reason) allowed = false
    else used += 1
  }
  if (!allowed) return { allowed: false, reasons }
  return { allowed: true, usage: { ...session.usage, calls: used, ...(spends ? { spends } : {}) } }
}

/** One call against one permission: why not, or what it leaves spent. */
function checkCall(call: number, { to, data, value = 0n }: ScopeCall, permission: KindPermission, used: SpendUsage | undefined, key: Address | undefined, now: number): ScopeReason | { spent?: SpendUsage } {
  const calldata: Hex = data ?? '0x'
  const redeemers = permission.redeemers
  if (redeemers && (key === undefined || !redeemers.some((r) => r.toLowerCase() === key.toLowerCase())))
    return {
      call,
      reason: 'redeemer-not-allowed',
      message: `the session key ${key ? short(key) : '(none)'} may not redeem this grant; its redeemer rule names ${redeemers.map(short).join(', ')}`,
      redeemer: key,
      redeemers: [...redeemers],
    }
  if (permission.type === 'revocation') return checkRevocation(call, to, calldata, value, permission.methods)

  const { token, limit } = permission
  let amount: bigint
  let payee: Address
  if (token === 'native') {
    if (calldata !== '0x') return notATransfer(call, to, calldata, 'a native-token permission allows plain transfers only (no calldata)')
    amount = value
    payee = to
  } else {
    if (to.toLowerCase() !== token.toLowerCase()) return notATransfer(call, to, calldata, `the permission spends token ${short(token)} only`)
    if (!isHexBytes(calldata) || size(calldata) !== 68 || selectorOf(calldata) !== transferSelector)
      return notATransfer(call, to, calldata, 'an ERC-20 permission allows transfer(address,uint256) only, encoded in exactly 68 bytes')
    if (value !== 0n) return notATransfer(call, to, calldata, `an ERC-20 permission sends no ETH; the call sends ${value} wei`)
    amount = readWord(calldata, 1) as bigint
    payee = `0x${calldata.slice(34, 74)}` as Address
    // The wallet compares the whole 32-byte word: dirty upper bytes are not the payee.
    if (permission.payees && !permission.payees.some((p) => pad(p.toLowerCase() as Hex) === `0x${calldata.slice(10, 74)}`))
      return payeeNotAllowed(call, payee, permission.payees)
  }
  if (token === 'native' && permission.payees && !permission.payees.some((p) => p.toLowerCase() === payee.toLowerCase()))
    return payeeNotAllowed(call, payee, permission.payees)
  return checkAmount(call, token, limit, amount, used, now)
}

function checkAmount(call: number, token: Address | 'native', limit: SpendLimit, amount: bigint, used: SpendUsage | undefined, now: number): ScopeReason | { spent: SpendUsage } {
  const startTime = limit.startTime ?? Number.POSITIVE_INFINITY
  // A token's decimals are on chain, out of reach of this pure check: its amounts are said in
  // its smallest unit, and named so ("wei"), never shown as if they were whole tokens.
  const show = (value: bigint) => (token === 'native' ? `${formatEther(value)} ETH` : `${value} wei of token ${short(token)}`)
  if (limit.kind === 'stream') {
    const elapsed = now > startTime ? BigInt(now - startTime) : 0n
    const unlocked = now < startTime ? 0n : minAmount(limit.maxAmount, limit.initialAmount + limit.amountPerSecond * elapsed)
    const spent = used?.spent ?? 0n
    const available = unlocked > spent ? unlocked - spent : 0n
    if (amount > available)
      return {
        call,
        reason: 'spend-over-stream',
        message: `the stream has ${show(available)} available now (it grows by ${show(limit.amountPerSecond)} a second up to ${show(limit.maxAmount)}); the call moves ${show(amount)}`,
        token,
        amount: amount.toString(),
        available: available.toString(),
      }
    return { spent: { period: 0, spent: spent + amount } }
  }
  if (now < startTime)
    return {
      call,
      reason: 'spend-not-started',
      message: `the permission starts at ${isoTime(startTime)}; nothing can be spent before`,
      startTime,
      now,
    }
  const periodAmount = limit.kind === 'periodic' ? limit.periodAmount : limit.amount
  const period = limit.kind === 'periodic' ? Math.floor((now - startTime) / limit.periodDuration) : 0
  const spent = used !== undefined && used.period === period ? used.spent : 0n
  const remaining = periodAmount > spent ? periodAmount - spent : 0n
  if (amount > remaining) {
    if (limit.kind === 'allowance')
      return token === 'native'
        ? { call, reason: 'value-over-limit', message: `the call sends ${amount} wei; ${remaining} of ${periodAmount} are left`, value: amount.toString(), remaining: remaining.toString(), allowance: periodAmount.toString() }
        : { call, reason: 'spend-over-allowance', message: `transfer on token ${short(token)} moves ${amount}; ${remaining} of ${periodAmount} are left`, token, selector: transferSelector, amount: amount.toString(), remaining: remaining.toString(), allowance: periodAmount.toString() }
    const periodEnd = startTime + (period + 1) * (limit as { periodDuration: number }).periodDuration
    return {
      call,
      reason: 'spend-over-period-limit',
      message: `${show(remaining)} left until ${isoTime(periodEnd)} (${show(periodAmount)} a period); the call moves ${show(amount)}`,
      token,
      amount: amount.toString(),
      remaining: remaining.toString(),
      periodAmount: periodAmount.toString(),
      periodEnd,
    }
  }
  return { spent: { period, spent: spent + amount } }
}

// The revoking calls, by selector: which flag allows each and which argument must be zero.
const approveSelector = '0x095ea7b3' // approve(address,uint256): ERC-20 and ERC-721 share it
const setApprovalForAllSelector = '0xa22cb465' // setApprovalForAll(address,bool)
const permit2 = '0x000000000022d473030f116ddee9f6b43ac78ba3' // Uniswap's Permit2, the same address on every chain
const permit2Calls: Readonly<Record<string, { flag: keyof RevocationMethods; zero?: number }>> = {
  '0x87517c45': { flag: 'permit2Approve', zero: 2 }, // approve(address token, address spender, uint160 amount, uint48 expiration)
  '0xcc53287f': { flag: 'permit2Lockdown' }, // lockdown((address,address)[])
  '0x65d9723c': { flag: 'permit2InvalidateNonces' }, // invalidateNonces(address token, address spender, uint48 newNonce)
}

function checkRevocation(call: number, to: Address, calldata: Hex, value: bigint, methods: RevocationMethods): ScopeReason | { spent?: undefined } {
  const selector = isHexBytes(calldata) ? selectorOf(calldata) : ('0x00000000' as Hex)
  const refuse = (why: string): ScopeReason => ({ call, reason: 'not-a-revocation', message: `the call to ${short(to)} is not a revoking call this permission allows: ${why}`, target: to, selector })
  if (value !== 0n) return refuse(`it sends ${value} wei`)
  if (!isHexBytes(calldata)) return refuse('its calldata is not hex bytes')
  const zero = (index: number) => readWord(calldata, index) === 0n
  if (selector === approveSelector) {
    if (methods.erc20Approve && zero(1)) return {}
    if (methods.erc721Approve && zero(0) && readWord(calldata, 1) !== undefined) return {}
    return refuse(methods.erc20Approve || methods.erc721Approve ? 'an approve that grants, not one that revokes (amount or spender 0)' : 'approve is not allowed')
  }
  if (selector === setApprovalForAllSelector) {
    if (methods.erc721SetApprovalForAll && zero(1)) return {}
    return refuse(methods.erc721SetApprovalForAll ? 'setApprovalForAll(x, true) grants' : 'setApprovalForAll is not allowed')
  }
  const permit2Call = permit2Calls[selector]
  if (permit2Call && to.toLowerCase() === permit2 && methods[permit2Call.flag] && (permit2Call.zero === undefined || zero(permit2Call.zero))) return {}
  return refuse(`function ${selector} is not a revocation it names`)
}

function notATransfer(call: number, to: Address, calldata: Hex, why: string): ScopeReason {
  return { call, reason: 'not-a-transfer', message: `the call to ${short(to)} is not one this permission allows: ${why}`, target: to, selector: isHexBytes(calldata) ? selectorOf(calldata) : ('0x00000000' as Hex) }
}

function payeeNotAllowed(call: number, payee: Address, payees: readonly Address[]): ScopeReason {
  return { call, reason: 'payee-not-allowed', message: `${short(payee)} is not a payee of this grant (${payees.map(short).join(', ')})`, payee, payees: [...payees] }
}

/**
 * Takes back the spends a failed send reserved (`reserved - before`), period by period, leaving
 * what others spent since: a period that has since rolled over keeps what it has.
 *
 * @example
 * releaseSpends(stored.usage.spends, before.spends, reserved.spends)
 */
export function releaseSpends(current: SessionUsage['spends'], before: SessionUsage['spends'], reserved: SessionUsage['spends']): SessionUsage['spends'] {
  if (reserved === undefined) return current
  const spends: Record<string, SpendUsage> = { ...current }
  for (const [index, entry] of Object.entries(reserved)) {
    const now = spends[index]
    if (now === undefined || now.period !== entry.period) continue
    const was = before?.[index]
    const added = entry.spent - (was !== undefined && was.period === entry.period ? was.spent : 0n)
    if (added === 0n) continue
    const spent = now.spent - added
    // Nothing spent and nothing there before: as if the reservation never happened.
    if (spent === 0n && was === undefined) delete spends[index]
    else spends[index] = { period: now.period, spent }
  }
  return spends
}
