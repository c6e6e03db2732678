import type { Address, Hex } from 'viem'
import type { Session, SessionUsage } from '../sessions/types.js'
import { noSelector, readWord, selectorOf, tokenAmountArgument, transferSelector } from './calldata.js'
import type { PermissionKinds } from './dialects/types.js'
import { isAddressShape } from './isAddressShape.js'
import type { SpendReasonDetails } from './spendRules.js'
import type { Permission, Policy } from './types.js'
import { isHexBytes } from './isHexBytes.js'
import { isKindPermission } from './advancedTypes.js'

/** One call of a batch, as `wallet_sendCalls` carries it. */
export type ScopeCall = {
  to: Address
  data?: Hex | undefined
  /** Native value in wei; absent means 0. */
  value?: bigint | undefined
}

/** What {@link checkScope} needs besides the session and the calls. */
export type CheckScopeOptions = {
  /** The chain the calls would be sent on. */
  chainId: number
  /** The clock, in UNIX seconds. */
  now: number
  /** Whether the store holds the session's key (`keyStore.has(session.keyAddress)`). */
  canSign: boolean
  /**
   * The checks of permission kinds core keyleash does not know: for MetaMask's (`spend`,
   * `revocation`), `advancedPermissions` from `keyleash/wallets`. A session holding such a
   * permission is refused (`unchecked-permissions`) without them.
   */
  permissionKinds?: PermissionKinds | undefined
}

/**
 * The details each reason carries besides `call`, `reason` and `message`. Amounts are decimal
 * strings, not bigints, so that reasons survive `JSON.stringify`: they travel in an error's
 * `data.reasons` to the app.
 */
export type ScopeReasonDetails = {
  'wrong-chain': { chainId: number; sessionChainId: number }
  revoked: { session: string }
  expired: { expiry: number; now: number }
  'not-a-signing-session': { signer: Session['signer']['type']; keyAddress?: Address | undefined }
  'self-call': { target: Address }
  'target-not-allowed': { target: Address }
  'selector-not-allowed': { target: Address; selector: Hex }
  /** `remaining` is what is left of the allowance before this call. */
  'value-over-limit': { value: string; remaining: string; allowance: string }
  /** `amount` is absent when the calldata is too short to hold it. */
  'spend-over-allowance': { token: Address; selector: Hex; amount?: string; remaining: string; allowance: string }
  'call-limit-reached': { calls: number; count: number }
  /** A function of a token with an allowance whose amount keyleash cannot count, and that the grant does not name. */
  'uncounted-token-function': { token: Address; selector: Hex }
  /** `permissions` names the session's custom permissions, none of which keyleash signs under. */
  'custom-permission': { target: Address; permissions: string[] }
  /** The session holds permissions of these kinds (`spend`, `revocation`), and the check was given no `permissionKinds` for them. */
  'unchecked-permissions': { session: string; permissions: string[] }
} & SpendReasonDetails

/** Why a call does not fit a session: the first rule it breaks. */
export type ReasonCode = keyof ScopeReasonDetails

/** Why one call (`call` is its index in the batch) does not fit a session. */
export type ScopeReason = {
  [code in ReasonCode]: { call: number; reason: code; message: string } & ScopeReasonDetails[code]
}[ReasonCode]

/** What {@link checkScope} decides for a batch. */
export type CheckScopeReturnType =
  | { allowed: true; /** The session's usage once these calls are done. */ usage: SessionUsage }
  | { allowed: false; /** One per call: `null` for a call that fits. */ reasons: (ScopeReason | null)[] }

/**
 * Decides whether a batch of calls fits a session: the local twin of the dev wallet's
 * `SessionAccount._checkAndRecord`, rule for rule and in the same order, so that whatever keyleash
 * signs the account executes, and whatever the account would refuse is refused before signing.
 *
 * Rules, per call, the first broken one is its reason; usage accumulates over the calls that fit:
 * 0. the session: `wrong-chain`, `revoked`, `expired` (`now >= expiry`), `not-a-signing-session`
 *    (every call gets it; an empty batch is then refused with no reasons); a session holding
 *    MetaMask's permissions is then checked by `options.permissionKinds` (its enforcers' rules),
 *    or, without them, refused: `unchecked-permissions`;
 * 1. `self-call`: the account itself is never a target;
 * 2. `target-not-allowed` / `selector-not-allowed` (`custom-permission` instead of the former when the
 *    session holds custom permissions): calldata-less calls go anywhere when the session has a native
 *    allowance; otherwise (target, selector) must be granted, `erc20-transfer` granting `transfer`;
 * 3. `value-over-limit`: native value in total stays within the native allowance;
 * 4. `spend-over-allowance`: transfer, transferFrom, approve, increaseAllowance and permit amounts on
 *    a token with an allowance stay within it (unreadable amounts are refused);
 * 5. `call-limit-reached`;
 * 6. `uncounted-token-function` (keyleash's own, after the account's rules, so a call both refuse
 *    gets the account's reason): on a token with an allowance, a function other than the counted
 *    five (`transferAndCall`, ERC-777 `send`, `approveAndCall`, or any other that can move tokens
 *    uncounted) is refused unless a contract-call permission on the token names it; every function
 *    granted as `any` does not. The account would execute such calls: here keyleash is stricter.
 *
 * `rate-limit` and `gas-limit` are not checked here: usage keeps no timestamps and gas is not known
 * before the wallet prepares the calls; the wallet enforces them.
 *
 * Pure: the session is not changed. Compiled permissions are cached by the identity of
 * `session.permissions`, which is never mutated (a granted session is replaced, not edited).
 *
 * Check and record in one step, as the account does: inside `store.update`, so that two batches
 * signed at once cannot both spend the same allowance.
 *
 * @see https://eips.ethereum.org/EIPS/eip-7715
 *
 * @example
 * const calls = [{ to: nft, data: encodeFunctionData({ abi, functionName: 'mint' }) }]
 * const options = { chainId: 31337, now: Math.floor(Date.now() / 1000), canSign: true }
 * let result: CheckScopeReturnType | undefined
 * await store.update(session.id, (stored) => {
 *   result = checkScope(stored, calls, options)
 *   return result.allowed ? { ...stored, usage: result.usage } : undefined
 * })
 * if (result && !result.allowed) throw new UnauthorizedError('calls do not fit the session', { reasons: result.reasons })
 */
export function checkScope(
  session: Session,
  calls: readonly ScopeCall[],
  options: CheckScopeOptions,
): CheckScopeReturnType {
  const refusal = checkSession(session, options)
  if (refusal) return { allowed: false, reasons: calls.map((_, call) => ({ ...refusal, call })) }
  // MetaMask's permissions are checked as its enforcers decide, by the code the wallet dialect
  // brings (src/permissions/spendRules.ts, out of the core bundle); without it, never signed under.
  const scope = compileScope(session.permissions)
  if (scope.kinds) {
    if (options.permissionKinds) return options.permissionKinds.checkCalls(session, calls, options)
    return uncheckedPermissions(session, calls)
  }

  const callLimit = callLimitOf(session.policies)
  const account = session.account.toLowerCase()
  const tally: Tally = { calls: session.usage.calls, native: session.usage.native, spent: session.usage.spent }

  // Made at the first refusal: a batch that fits, the usual case, needs none.
  let reasons: (ScopeReason | null)[] | undefined
  for (let index = 0; index < calls.length; index++) {
    const reason = checkCall(index, calls[index] as ScopeCall, scope, callLimit, account, tally)
    if (reason) (reasons ??= new Array<ScopeReason | null>(calls.length).fill(null))[index] = reason
  }
  if (reasons) return { allowed: false, reasons }
  return { allowed: true, usage: { calls: tally.calls, native: tally.native, spent: tally.spent } }
}

/** Every call refused: the session holds permissions of kinds the check was not given. */
function uncheckedPermissions(session: Session, calls: readonly ScopeCall[]): CheckScopeReturnType {
  const permissions = [...new Set(session.permissions.filter(isKindPermission).map((permission) => permission.type))]
  const message = `session ${session.id} holds MetaMask permissions (${permissions.join(', ')}) that this check cannot read; make the provider with wallet: executionPermissions, or pass permissionKinds: advancedPermissions to checkScope (both from keyleash/wallets)`
  return { allowed: false, reasons: calls.map((_, call) => ({ call, reason: 'unchecked-permissions', message, session: session.id, permissions })) }
}

/** Usage as it accumulates over a batch. The session's `spent` is never written: it is copied on the first change. */
type Tally = {
  calls: number
  native: bigint
  spent: Readonly<Record<string, bigint>>
  /** This batch's copy of `spent`, once there is one. */
  own?: Record<string, bigint>
}

/** A session's permissions, reshaped for lookups by lower-case address. */
type CompiledScope = {
  /** Whether the permissions hold MetaMask's kinds (`spend`, `revocation`): asked once per permissions array, not per send. */
  kinds: boolean
  /** Granted selectors (lower-case) by lower-case target; `'any'` when any function is. */
  targets: Map<string, Set<string> | 'any'>
  /** 0n when none is granted. */
  nativeAllowance: bigint
  /** Who a plain transfer may pay (lower-case); `undefined` when anyone may be. */
  nativePayees: Set<string> | undefined
  /** Token allowances by lower-case token address. */
  tokens: Map<string, bigint>
  /** Names of the custom permissions: kept, never signed under. */
  custom: string[]
  /** Selectors (lower-case) that contract-call permissions name one by one, by lower-case target. */
  named: Map<string, Set<string>>
}

const compiled = new WeakMap<readonly Permission[], CompiledScope>()

function compileScope(permissions: readonly Permission[]): CompiledScope {
  const cached = compiled.get(permissions)
  if (cached) return cached
  const scope: CompiledScope = { kinds: false, targets: new Map(), nativeAllowance: 0n, nativePayees: undefined, tokens: new Map(), custom: [], named: new Map() }
  // The session account holds ONE native allowance and one allowance per token (it refuses to
  // register two). Should a wallet grant several anyway, the smallest is the one all agree on.
  let native: bigint | undefined
  for (const permission of permissions) {
    switch (permission.type) {
      case 'contract-call':
        allow(scope.targets, permission.target, permission.selectors)
        if (permission.selectors !== 'any') {
          const key = permission.target.toLowerCase()
          const named = scope.named.get(key) ?? new Set<string>()
          for (const selector of permission.selectors) named.add(selector.toLowerCase())
          scope.named.set(key, named)
        }
        break
      case 'native-transfer':
        native = native === undefined || permission.allowance < native ? permission.allowance : native
        if (permission.payees) {
          // Several lists: only a payee every one names.
          const payees = new Set(permission.payees.map((payee) => payee.toLowerCase()))
          scope.nativePayees = scope.nativePayees ? new Set([...scope.nativePayees].filter((payee) => payees.has(payee))) : payees
        }
        break
      case 'erc20-transfer': {
        const token = permission.token.toLowerCase()
        const allowance = scope.tokens.get(token)
        if (allowance === undefined || permission.allowance < allowance) scope.tokens.set(token, permission.allowance)
        allow(scope.targets, permission.token, [transferSelector])
        break
      }
      case 'custom':
        scope.custom.push(permission.name)
        break
      case 'spend':
      case 'revocation':
        scope.kinds = true
        break
    }
  }
  scope.nativeAllowance = native ?? 0n
  compiled.set(permissions, scope)
  return scope
}

/** Adds granted selectors to a target: permissions for one target add up, `'any'` absorbs the rest. */
function allow(targets: CompiledScope['targets'], target: Address, selectors: readonly Hex[] | 'any'): void {
  const key = target.toLowerCase()
  const granted = targets.get(key)
  if (granted === 'any') return
  if (selectors === 'any') return void targets.set(key, 'any')
  const set = granted ?? new Set<string>()
  for (const selector of selectors) set.add(selector.toLowerCase())
  targets.set(key, set)
}

/** The tightest `call-limit` (the session account keeps one); `undefined` when there is none. */
export function callLimitOf(policies: readonly Policy[]): number | undefined {
  let count: number | undefined
  for (const policy of policies) {
    if (policy.type === 'call-limit' && (count === undefined || policy.count < count)) count = policy.count
  }
  return count
}

/** A reason before it is given to a call (`Omit` distributed over the union, which keeps it narrowable). */
type SessionRefusal = ScopeReason extends infer reason ? (reason extends unknown ? Omit<reason, 'call'> : never) : never

/** Rule 0: what refuses every call, whatever it is. Same order as the session account, then local rules. */
function checkSession(session: Session, { chainId, now, canSign }: CheckScopeOptions): SessionRefusal | undefined {
  if (session.chainId !== chainId)
    return {
      reason: 'wrong-chain',
      message: `session ${session.id} is for chain ${session.chainId}, not ${chainId}; switch chains or grant a session on ${chainId}`,
      chainId,
      sessionChainId: session.chainId,
    }
  if (session.status === 'revoked')
    return {
      reason: 'revoked',
      message: `session ${session.id} was revoked; grant a new session`,
      session: session.id,
    }
  if (now >= session.expiry)
    return {
      reason: 'expired',
      message: `session ${session.id} expired at ${isoTime(session.expiry)}; grant a new session`,
      expiry: session.expiry,
      now,
    }
  const { signer, keyAddress } = session
  if (signer.type === 'wallet' || !canSign)
    return {
      reason: 'not-a-signing-session',
      message:
        signer.type === 'wallet'
          ? `the wallet holds the key of session ${session.id}; send the calls to the wallet with its context`
          : `the store has no key for session ${session.id}${keyAddress ? ` (${short(keyAddress)})` : ''}; import it (sessions.importKey) or grant a new session`,
      signer: signer.type,
      ...(keyAddress ? { keyAddress } : {}),
    }
  return undefined
}

/** Rules 1 to 5 for one call; on success the call's usage is added to `tally`. */
function checkCall(
  call: number,
  { to, data, value = 0n }: ScopeCall,
  scope: CompiledScope,
  callLimit: number | undefined,
  account: string,
  tally: Tally,
): ScopeReason | null {
  const target = to.toLowerCase()
  // Lower-case comparison rather than `isAddressEqual`, which throws on a malformed address: a
  // malformed `to` must be refused (rule 2), not crash the check.
  if (target === account)
    return {
      call,
      reason: 'self-call',
      message: `a session key may never call its own account ${short(to)}; have the owner sign it`,
      target: to,
    }

  // Rule 2: target and selector.
  if (!isAddressShape(to))
    return {
      call,
      reason: 'target-not-allowed',
      message: `target ${JSON.stringify(to)} is not an address`,
      target: to,
    }
  const calldata: Hex = data ?? '0x'
  // A plain native transfer (no calldata) may go to any address once native value is granted, or
  // only to the payees the wallet's account holds it to.
  const plainTransfer = calldata === '0x' && scope.nativeAllowance > 0n && (scope.nativePayees === undefined || scope.nativePayees.has(target))
  let selector: Hex = noSelector
  if (!plainTransfer) {
    const granted = scope.targets.get(target)
    if (granted === undefined) return targetNotAllowed(call, to, calldata, scope)
    if (!isHexBytes(calldata))
      return {
        call,
        reason: 'selector-not-allowed',
        message: `calldata to ${short(to)} is not hex bytes; use encodeFunctionData`,
        target: to,
        selector,
      }
    selector = selectorOf(calldata)
    if (granted !== 'any' && !granted.has(selector))
      return {
        call,
        reason: 'selector-not-allowed',
        message:
          selector === noSelector && calldata.length < 10
            ? `the call to ${short(to)} has no selector (calldata under 4 bytes); grant ${noSelector} or every function of it`
            : `function ${selector} of ${short(to)} is not granted; grant a contract-call permission naming it`,
        target: to,
        selector,
      }
  }

  // Rule 3: native value, a total over the session. Value 0 always fits.
  const native = tally.native + value
  if (value !== 0n && (value < 0n || native > scope.nativeAllowance)) {
    const allowance = scope.nativeAllowance
    const remaining = allowance > tally.native ? allowance - tally.native : 0n
    return {
      call,
      reason: 'value-over-limit',
      message:
        value < 0n
          ? `the call to ${short(to)} sends a negative value (${value} wei)`
          : `the call to ${short(to)} sends ${value} wei; ${allowance === 0n ? 'grant a native-transfer permission' : `${remaining} of ${allowance} are left, send less or grant more`}`,
      value: value.toString(),
      remaining: remaining.toString(),
      allowance: allowance.toString(),
    }
  }

  // Rule 4: token spend, only on a token with an allowance (a plain transfer's selector is never counted).
  const allowance = scope.tokens.get(target)
  const argument = allowance === undefined ? undefined : tokenAmountArgument.get(selector)
  let amount = 0n
  if (allowance !== undefined && argument !== undefined) {
    const spent = tally.spent[target] ?? 0n
    const remaining = allowance > spent ? allowance - spent : 0n
    const read = readWord(calldata, argument)
    // Too short to hold the amount is refused, not read as 0: a token might decode it otherwise and
    // move what no allowance counted. The session account reverts on it too (MalformedCall).
    if (read === undefined)
      return {
        call,
        reason: 'spend-over-allowance',
        message: `calldata of ${selector} on token ${short(to)} is too short to hold the amount; use encodeFunctionData`,
        token: to,
        selector,
        remaining: remaining.toString(),
        allowance: allowance.toString(),
      }
    if (spent + read > allowance)
      return {
        call,
        reason: 'spend-over-allowance',
        message: `${selector} on token ${short(to)} moves ${read}; ${remaining} of ${allowance} are left, move less or grant more`,
        token: to,
        selector,
        amount: read.toString(),
        remaining: remaining.toString(),
        allowance: allowance.toString(),
      }
    amount = read
  }

  // Rule 5: the call limit.
  if (callLimit !== undefined && tally.calls + 1 > callLimit)
    return {
      call,
      reason: 'call-limit-reached',
      message: `all ${callLimit} calls of this session are used; grant a new session`,
      calls: tally.calls,
      count: callLimit,
    }

  // Rule 6: a token function that could move tokens without being counted needs to be named.
  if (allowance !== undefined && argument === undefined && !plainTransfer && !scope.named.get(target)?.has(selector))
    return {
      call,
      reason: 'uncounted-token-function',
      message: `function ${selector} of token ${short(to)} may move tokens that its allowance cannot count (only transfer, transferFrom, approve, increaseAllowance and permit are counted); name it in a contract-call permission on the token to allow it`,
      token: to,
      selector,
    }

  tally.calls += 1
  tally.native = native
  if (amount !== 0n) {
    const own = (tally.own ??= { ...tally.spent })
    own[target] = (own[target] ?? 0n) + amount
    tally.spent = own
  }
  return null
}

/** Rule 2 for a target no known permission names; `custom-permission` when the session holds custom ones. */
function targetNotAllowed(call: number, to: Address, calldata: Hex, scope: CompiledScope): ScopeReason {
  const grant = `grant a ${calldata === '0x' ? 'native-transfer or ' : ''}contract-call permission for it`
  if (scope.custom.length > 0)
    return {
      call,
      reason: 'custom-permission',
      message: `target ${short(to)} is not granted (keyleash never signs under custom permissions: ${scope.custom.join(', ')}); ${grant}`,
      target: to,
      permissions: [...scope.custom],
    }
  return {
    call,
    reason: 'target-not-allowed',
    message: `target ${short(to)} is not granted; ${grant}`,
    target: to,
  }
}

/** `0x1234…abcd`: enough to recognise an address in a sentence; the details hold it whole. */
export function short(address: string): string {
  return address.length > 12 ? `${address.slice(0, 6)}…${address.slice(-4)}` : address
}

/** UNIX seconds as an ISO date, or as the number when it is out of the Date range. */
export function isoTime(seconds: number): string {
  const date = new Date(seconds * 1000)
  return Number.isNaN(date.getTime()) ? `${seconds} (UNIX seconds)` : date.toISOString()
}
