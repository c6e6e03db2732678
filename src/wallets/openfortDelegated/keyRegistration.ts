import { type Address, type Hex, encodeAbiParameters, encodeFunctionData, maxUint48 } from 'viem'
import { InvalidParamsError } from '../../errors.js'
import { transferSelector } from '../../permissions/calldata.js'
import type { ResolvedGrantRequest } from '../../permissions/dialects/types.js'
import { signerAddress } from '../../permissions/signer.js'
import type { EnforcedRule, GrantRequest } from '../../permissions/types.js'
import { delegated, delegatedKey, delegatedKeyId, delegatedKeysAbi } from './abi.js'

/** A `(target, function)` pair the key may call (`setCanCall`). */
export type CanCall = { target: Address; selector: Hex }

/** A spend rule over the key's whole life (`setTokenSpend`, `SpendPeriod.Forever`); ETH is `delegated.nativeToken`. */
export type TokenSpend = { token: Address; limit: bigint }

/** What the owner registers on the Delegated Account for a session key. */
export type KeyRegistration = {
  keyId: Hex
  /** `registerKey`'s argument (`IKey.KeyDataReg`): an EOA key (0), self-controlled (0). */
  keyData: { keyType: 0; validUntil: number; validAfter: number; limits: number; key: Hex; keyControl: 0 }
  canCall: CanCall[]
  spends: TokenSpend[]
}

/** Calls one owner call runs on the account: its `execute` takes at most 9 (`MAX_TX`). */
const maxCalls = 9

/**
 * A native-token rule a key holds when the grant gives it no ETH: the account charges a call's
 * value to it only for a plain transfer, which such a key may not make (no plain-transfer pair),
 * and refuses value on any other call whose target has no spend rule of its own. So it admits no
 * value at all; it cannot be 0 (`setTokenSpend` refuses a 0 limit).
 */
const noNative = 1n

/** The pairs and spend rules of `request`. Throws for what the account cannot hold. */
function grantsOf(request: Pick<GrantRequest, 'permissions'>): { canCall: CanCall[]; spends: Map<string, TokenSpend> } {
  const pairs = new Map<string, CanCall>()
  const spends = new Map<string, TokenSpend>()
  const pair = (target: Address, selector: Hex) => pairs.set(`${target.toLowerCase()}:${selector.toLowerCase()}`, { target, selector })
  const spend = (token: Address, amount: bigint) => {
    const held = spends.get(token.toLowerCase())
    spends.set(token.toLowerCase(), { token, limit: (held?.limit ?? 0n) + amount })
  }
  const natives = request.permissions.filter((permission) => permission.type === 'native-transfer')
  request.permissions.forEach((permission, i) => {
    if (permission.type === 'contract-call') {
      if (permission.selectors === 'any') pair(permission.target, delegated.anyFunction)
      else for (const selector of permission.selectors) pair(permission.target, selector)
    } else if (permission.type === 'erc20-transfer') {
      pair(permission.token, transferSelector)
      spend(permission.token, permission.allowance)
    } else if (permission.type === 'native-transfer') {
      // One ETH rule per key: payees of one allowance would be paid from another's.
      if (permission.payees !== undefined && natives.length > 1)
        throw new InvalidParamsError(`permissions[${i}].payees`, 'a Delegated Account holds a key to one ETH limit; with payees, grant one native-token permission per session')
      for (const payee of permission.payees ?? [delegated.anyTarget]) pair(payee, delegated.plainTransfer)
      spend(delegated.nativeToken, permission.allowance)
    } else throw new InvalidParamsError(`permissions[${i}].type`, `a Delegated Account registers contract-call, native-transfer and erc20-transfer permissions, not ${permission.type}`)
  })
  if (natives.length === 0) spend(delegated.nativeToken, noNative)
  return { canCall: [...pairs.values()], spends }
}

/**
 * The registration of `request`'s session key on a Delegated Account, as its key manager takes
 * it: `registerKey` (an EOA key, its window from `now`, its call limit; none: the uint48 maximum,
 * as the account refuses 0), then one `setCanCall` per (target, function) the grant names (any
 * function of a contract: the any-function sentinel; a native-token allowance: plain transfers to
 * its payees, or to anyone), and one `setTokenSpend` per token (an ERC-20 allowance; ETH, which
 * a key granted none is held to nothing of). Throws an `InvalidParamsError` for what the account
 * cannot hold or one owner call cannot carry (more than 9 calls in all).
 *
 * @example
 * const registration = delegatedKeyRegistration(request, now)
 */
export function delegatedKeyRegistration(request: ResolvedGrantRequest, now: number): KeyRegistration {
  const key = signerAddress(request.signer)
  if (request.signer.type !== 'account' || key === undefined)
    throw new InvalidParamsError('signer', 'a Delegated Account registers a session key by its address here: grant to an account signer (the default, a keyleash-made secp256k1 key)')
  const { canCall, spends } = grantsOf(request)
  if (canCall.length === 0) throw new InvalidParamsError('permissions', 'a Delegated Account key needs at least one call to make: name a contract-call, an erc20-transfer or a native-transfer')
  const calls = 1 + canCall.length + spends.size
  if (calls > maxCalls)
    throw new InvalidParamsError('permissions', `a Delegated Account registers a key in one owner call of at most ${maxCalls} calls (the key, then each function granted on a target and each spend limit); this grant needs ${calls}`, {
      hint: 'grant fewer functions per session, or any function of a contract',
    })
  const callLimit = request.policies.find((policy) => policy.type === 'call-limit')
  return {
    keyId: delegatedKeyId(key),
    keyData: { keyType: 0, validUntil: request.expiry, validAfter: now, limits: callLimit?.count ?? Number(maxUint48), key: delegatedKey(key), keyControl: 0 },
    canCall,
    spends: [...spends.values()],
  }
}

/**
 * The self-calls that register `registration` on `account`: `registerKey`, then its
 * `setCanCall`s and `setTokenSpend`s, in the order the account needs (a key before its grants).
 *
 * @example
 * const calls = delegatedRegistrationCalls(account, registration)
 */
export function delegatedRegistrationCalls(account: Address, registration: KeyRegistration): { target: Address; value: bigint; data: Hex }[] {
  const { keyId, keyData, canCall, spends } = registration
  const self = (data: Hex) => ({ target: account, value: 0n, data })
  return [
    self(encodeFunctionData({ abi: delegatedKeysAbi, functionName: 'registerKey', args: [keyData] })),
    ...canCall.map(({ target, selector }) => self(encodeFunctionData({ abi: delegatedKeysAbi, functionName: 'setCanCall', args: [keyId, target, selector, true] }))),
    ...spends.map(({ token, limit }) => self(encodeFunctionData({ abi: delegatedKeysAbi, functionName: 'setTokenSpend', args: [keyId, token, limit, delegated.spendForever] }))),
  ]
}

/**
 * The owner's one call on its own account that registers `registration`: `execute` with the
 * ERC-7821 flat batch of {@link delegatedRegistrationCalls}.
 *
 * @example
 * sendAdminTransaction({ to: account, data: delegatedRegistrationData(account, registration), … })
 */
export function delegatedRegistrationData(account: Address, registration: KeyRegistration): Hex {
  const batch = encodeAbiParameters(
    [{ type: 'tuple[]', components: [{ name: 'target', type: 'address' }, { name: 'value', type: 'uint256' }, { name: 'data', type: 'bytes' }] }],
    [delegatedRegistrationCalls(account, registration)],
  )
  return encodeFunctionData({ abi: delegatedKeysAbi, functionName: 'execute', args: [delegated.flatBatch, batch] })
}

/**
 * The rules a Delegated Account enforces for a key registered by {@link delegatedKeyRegistration}:
 * targets and functions (as pairs), spend, the call limit and the window always; value unless the
 * grant holds an ERC-20 allowance (the account charges a call to a spend token by its token
 * amount, whatever ETH it carries). Throws, as the registration does, for a grant the account
 * cannot hold.
 *
 * @example
 * delegatedEnforces(request) // ['target', 'selector', 'value', 'spend', 'call-limit', 'expiry']
 */
export function delegatedEnforces(request: Pick<GrantRequest, 'permissions'>): EnforcedRule[] {
  grantsOf(request)
  const tokens = request.permissions.some((permission) => permission.type === 'erc20-transfer')
  return tokens ? ['target', 'selector', 'spend', 'call-limit', 'expiry'] : ['target', 'selector', 'value', 'spend', 'call-limit', 'expiry']
}
