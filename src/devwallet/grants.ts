import { type Address, encodeFunctionData, isAddressEqual, slice } from 'viem'
import { InvalidParamsError } from '../errors.js'
import { erc7715, erc7715v2025Requests, executionPermissionRequests } from '../permissions/dialects/index.js'
import type { AppDialect } from '../permissions/dialects/types.js'
import type { GrantDraft } from '../permissions/grantRequest.js'
import { readAddress, readArray, readObject } from '../permissions/read.js'
import { signerAddress } from '../permissions/signer.js'
import type { Permission, Policy, Signer } from '../permissions/types.js'
import type { Session } from '../sessions/types.js'
import { sessionAccountAbi } from './artifacts.js'
import { ANY_SELECTOR, type SessionScope, type TokenAllowance } from './contracts.js'
import type { DevWalletContext } from './context.js'
import { type DevWalletDialectName, devWalletDialects } from './dialects.js'
import { unsupportedMethod } from './errors.js'
import { type Registration, chainNow, checkRegistration, describeRegistration, prepareOwnerBatch, prepareRegistration, selfCall } from './registration.js'
import { enforcedBy, enforcedRules } from '../permissions/enforcement.js'
import { advancedPermissions } from '../wallets/advancedPermissions.js'
import { isKindPermission } from '../permissions/advancedTypes.js'

// The dev wallet's SessionAccount holds its sessions to every rule on chain.
const allWallet = enforcedBy(enforcedRules)

/** The longest session the dev wallet grants: a year, in seconds. */
const maxGrantSeconds = 365 * 24 * 60 * 60

// The ERC-20 `transfer(address,uint256)` selector: an erc20 permission lets the key transfer.
const transferSelector = '0xa9059cbb'

// Reading a grant is the middleware's parsing, the same code on both sides of the wire.
const parsers: Record<DevWalletDialectName, AppDialect> = {
  erc7715,
  'erc7715-2025': erc7715v2025Requests,
  'execution-permissions': executionPermissionRequests,
}

/**
 * `wallet_grantPermissions` / `wallet_requestExecutionPermissions` (ERC-7715) in the wallet's
 * dialect: read with the dialect's parser, translated to `registerSession` and simulated,
 * confirmed by the approval hook, registered by an owner-signed `execute`, answered in the dialect's shape with
 * what was registered (`expiry` is the on-chain `validUntil`; the context is the key's address).
 *
 * @see https://eips.ethereum.org/EIPS/eip-7715
 * @example
 * await grant('wallet_grantPermissions', [{ expiry, signer, permissions }], context)
 */
export async function grant(method: string, params: unknown, context: DevWalletContext): Promise<unknown> {
  const dialect = devWalletDialects[context.dialect]
  if (method !== dialect.grantMethod) throw unsupportedMethod(method, `this wallet speaks ${context.dialect}; use ${dialect.grantMethod}`)
  const now = await chainNow(context.publicClient)
  const parser = parsers[context.dialect]
  // MetaMask's types are read, to be refused by name below: they need its Delegation Framework.
  const plans = parser.parse(params, { now, mode: 'timestamp', maxExpiry: maxGrantSeconds }, advancedPermissions).map((draft) => planGrant(draft, context))
  // `registerSession` overwrites a key: two grants to one key in one batch would leave only the last.
  plans.forEach((plan, i) => {
    if (plans.findIndex((other) => isAddressEqual(other.registration.key, plan.registration.key)) !== i)
      throw new InvalidParamsError(`[${i}].${signerField(context.dialect)}`, 'names the same key as an earlier grant in this batch; send one grant per key')
  })
  const registration = await prepareRegistration(context, plans.map((p) => p.registration))
  await context.ask({ method, summary: plans.map((p) => describeRegistration(p.registration)).join('\n'), params })
  await registration.send()
  return parser.answer(plans.map((plan) => grantedSession(plan, context, now)))
}

/**
 * `wallet_revokePermissions` / `wallet_revokeExecutionPermission` with `{ permissionContext }`
 * (the session key's address, for every dialect): confirmed, then `revokeSession` on-chain;
 * answers `{}`. wagmi's `disconnect()` sends `[{ eth_accounts: {} }]` (MIP-2), which is not a
 * session: it is answered `null` without a prompt.
 *
 * @example
 * await revoke('wallet_revokePermissions', [{ permissionContext: sessionKey }], context) // {}
 */
export async function revoke(method: string, params: unknown, context: DevWalletContext): Promise<unknown> {
  const request = readObject(readArray(params, 'params')[0], 'params[0]')
  if (method === 'wallet_revokePermissions' && request.eth_accounts !== undefined) return null
  const dialect = devWalletDialects[context.dialect]
  if (method !== dialect.revokeMethod) throw unsupportedMethod(method, `this wallet speaks ${context.dialect}; use ${dialect.revokeMethod}`)
  const value = request.permissionContext
  const key = readAddress(value, 'params[0].permissionContext')
  const session = await context.publicClient.readContract({ address: context.account, abi: sessionAccountAbi, functionName: 'getSession', args: [key] })
  if (!session.exists) throw new InvalidParamsError('params[0].permissionContext', `${key} is not a session of this wallet`)
  const data = encodeFunctionData({ abi: sessionAccountAbi, functionName: 'revokeSession', args: [key] })
  const revocation = await prepareOwnerBatch(context, [selfCall(context.account, data)])
  await context.ask({ method, summary: `revoke session key ${key}`, params })
  await revocation.send()
  return {}
}

/** One grant, ready: what goes on-chain and what the answer says was granted. */
type GrantPlan = { registration: Registration; signer: Signer; permissions: Permission[]; policies: Policy[] }

/**
 * What the SessionAccount can enforce of a grant. Optional custom permissions are left out
 * (the June 2024 draft's `required: false` lets a wallet grant less); limits it has no rule
 * for are refused, naming them.
 */
function planGrant(draft: GrantDraft, context: DevWalletContext): GrantPlan {
  const { path } = draft
  if (draft.chainId !== undefined && draft.chainId !== context.chainId)
    throw new InvalidParamsError(`${path}chainId`, `${draft.chainId} is not this wallet's chain (${context.chainId})`)
  const accountField = context.dialect === 'execution-permissions' ? 'from' : 'address'
  if (draft.account !== undefined && !isAddressEqual(draft.account, context.account))
    throw new InvalidParamsError(`${path}${accountField}`, `${draft.account} is not this wallet's account (${context.account})`)
  const field = `${path}${signerField(context.dialect)}`
  if (draft.signer === undefined)
    throw new InvalidParamsError(field, 'is required: the dev wallet grants to a key the app holds (an account, or an uncompressed secp256k1 key)')
  const p256 = draft.signer.type === 'key' && draft.signer.key.keyType === 'secp256r1' ? draft.signer.key.publicKey : undefined
  // What it advertises in wallet_getCapabilities: a dialect whose signer cannot name a P-256 key takes none.
  if (p256 !== undefined && !devWalletDialects[context.dialect].keyTypes?.includes('secp256r1'))
    throw new InvalidParamsError(field, `is a secp256r1 key, which this wallet's ${context.dialect} dialect does not carry; use erc7715-2025`)
  const key = signerAddress(draft.signer)
  if (key === undefined)
    throw new InvalidParamsError(field, `a ${draft.signer.type} signer has no address the SessionAccount can check; send an account signer, or an uncompressed secp256k1 or secp256r1 key`)

  const scopes: SessionScope[] = []
  const tokens: TokenAllowance[] = []
  const permissions: Permission[] = []
  let nativeAllowance = 0n
  for (const permission of draft.permissions) {
    if (permission.type === 'custom') continue
    if (isKindPermission(permission))
      throw new InvalidParamsError(`${path}permission`, "MetaMask's permission types need its Delegation Framework; use createDevMetaMask")
    permissions.push(permission)
    if (permission.type === 'contract-call') {
      // The account reads 0xffffffff as "any function": granting it by name would grant everything.
      if (permission.selectors !== 'any' && permission.selectors.includes(ANY_SELECTOR))
        throw new InvalidParamsError(`${path}permissions`, `selector ${ANY_SELECTOR} is the SessionAccount's wildcard and cannot be granted as one function; send no calls to grant every function`)
      const selectors = permission.selectors === 'any' ? [ANY_SELECTOR] : permission.selectors
      for (const selector of selectors) scopes.push({ target: permission.target, selector })
    } else if (permission.type === 'erc20-transfer') {
      scopes.push({ target: permission.token, selector: transferSelector })
      tokens.push({ token: permission.token, allowance: permission.allowance })
    } else nativeAllowance = permission.allowance
  }
  if (permissions.length === 0)
    throw new InvalidParamsError(`${path}permissions`, 'holds only optional custom permissions, which the SessionAccount cannot enforce; nothing would be granted')

  let callLimit = 0
  const policies: Policy[] = []
  for (const policy of draft.policies) {
    if (policy.type !== 'call-limit')
      throw new InvalidParamsError(`${path}policies`, `a ${policy.type} policy cannot be enforced by the dev wallet's SessionAccount; only call-limit`)
    callLimit = policy.count
    policies.push(policy)
  }
  const registration: Registration = { key, validUntil: draft.expiry, scopes: unique(scopes), callLimit, nativeAllowance, tokens }
  if (p256 !== undefined) registration.p256 = { x: slice(p256, 1, 33), y: slice(p256, 33) }
  checkRegistration(registration, context.account, path, signerField(context.dialect))
  return { registration, signer: draft.signer, permissions, policies }
}

/** Where a dialect names the grantee. */
function signerField(dialect: DevWalletDialectName): string {
  return dialect === 'execution-permissions' ? 'to' : 'signer'
}

function unique(scopes: readonly SessionScope[]): SessionScope[] {
  const seen = new Set<string>()
  return scopes.filter((s) => {
    const id = `${s.target.toLowerCase()}:${s.selector}`
    if (seen.has(id)) return false
    seen.add(id)
    return true
  })
}

/**
 * The granted session in the middleware's model, so the dialect's own `answer` writes the
 * wallet's reply: a wallet echoes the request shape, which is what an app dialect answers with.
 */
function grantedSession(plan: GrantPlan, context: DevWalletContext, now: number): Session {
  const id: Address = plan.registration.key
  return {
    id,
    chainId: context.chainId,
    account: context.account,
    signer: plan.signer,
    expiry: plan.registration.validUntil,
    permissions: plan.permissions,
    policies: plan.policies,
    usage: { calls: 0, native: 0n, spent: {} },
    status: 'active',
    wallet: context.dialect,
    enforcedBy: allWallet,
    createdAt: now,
  }
}
