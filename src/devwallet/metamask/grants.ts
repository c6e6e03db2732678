import type { Delegation, MetaMaskSmartAccount, SmartAccountsEnvironment } from '@metamask/smart-accounts-kit'
import { DelegationManager, NonceEnforcer } from '@metamask/delegation-abis'
import { encodeDelegations, hashDelegation, toDelegationStruct } from '@metamask/smart-accounts-kit/utils'
import { type Address, type Hex, type PublicClient, encodeFunctionData, isAddressEqual, numberToHex, toHex } from 'viem'
import { generatePrivateKey } from 'viem/accounts'
import { InternalError, InvalidParamsError } from '../../errors.js'
import { encodeAdvancedPermission } from '../../permissions/advancedPermissions.js'
import { executionPermissionRequests } from '../../permissions/dialects/executionPermissions.js'
import { readArray, readObject, readString } from '../../permissions/read.js'
import { signerAddress } from '../../permissions/signer.js'
import { advancedPermissions } from '../../wallets/advancedPermissions.js'
import type { Permission } from '../../permissions/types.js'
import type { GrantDraft } from '../../permissions/grantRequest.js'
import type { ApprovalPrompt } from '../context.js'
import { type PopulatedPermission, buildCaveats } from './caveats.js'

// The root of every delegation chain: a delegation signed by the account itself.
const rootAuthority = '0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff'
// A grant lasts at most this long, as the dev wallet's other dialects allow.
const maxExpiry = 365 * 24 * 60 * 60

/** One grant the development MetaMask made: its signed delegation and the answer it gave. */
export type MetaMaskGrant = { delegation: Delegation; answer: Record<string, unknown>; revoked: boolean }

/** What the development MetaMask's handlers share. */
export type MetaMaskContext = {
  chainId: number
  publicClient: PublicClient
  environment: SmartAccountsEnvironment
  /** The user's Hybrid DeleGator. */
  smartAccount: MetaMaskSmartAccount
  /** Runs calls from the account (a user operation the owner signs), e.g. `disableDelegation`. */
  execute(calls: readonly { to: Address; data: Hex }[]): Promise<Hex>
  /**
   * Asks the approval hook; throws 4001 when it says no. Resolves to the user's edits, per
   * request, of `permission.data` (wire shape), when the user changed any.
   */
  ask(prompt: ApprovalPrompt): Promise<readonly (Record<string, unknown> | undefined)[] | undefined>
  /** By permission context. */
  grants: Map<Hex, MetaMaskGrant>
}

/**
 * `wallet_requestExecutionPermissions`, as MetaMask answers it: one confirmation for the whole
 * request, then, per permission, a delegation from the account to `to` whose caveats the wallet's
 * own builders write (see `buildCaveats`), signed by the account's owner. The answer is the
 * request with its defaults filled in (`startTime` the chain's now, a stream's bounds) plus
 * `context` (the ABI-encoded delegation chain), `dependencies` (the account's factory call while
 * it is not deployed) and `delegationManager`.
 *
 * @example
 * const [granted] = await requestExecutionPermissions(params, context)
 */
export async function requestExecutionPermissions(params: unknown, context: MetaMaskContext): Promise<Record<string, unknown>[]> {
  const now = Number((await context.publicClient.getBlock()).timestamp)
  const raw = readArray(params, 'params')
  const drafts = executionPermissionRequests.parse(raw, { now, mode: 'timestamp', maxExpiry }, advancedPermissions)
  const asked = drafts.map((draft, i) => plan(draft, raw[i], i, now, context))
  const adjust = await context.ask({
    method: 'wallet_requestExecutionPermissions',
    summary: asked.map((planned) => `${planned.populated.type} to ${planned.to} until ${new Date(planned.expiry * 1000).toISOString()}`).join('\n'),
    params,
  })
  // The user edited the screen: what is granted is the request with the user's values.
  const plans = asked.map((planned, i) => {
    const edits = adjust?.[i]
    if (edits === undefined) return planned
    if (!planned.populated.isAdjustmentAllowed) throw new InternalError(`request ${i} does not allow adjustment (isAdjustmentAllowed is not true); the approval hook may not change it`)
    const entry = readObject(raw[i], `[${i}]`)
    const permission = readObject(entry.permission, `[${i}].permission`)
    const edited = { ...entry, permission: { ...permission, data: { ...readObject(permission.data, `[${i}].permission.data`), ...edits } } }
    const entries = raw.map((other, j) => (j === i ? edited : other))
    return plan(executionPermissionRequests.parse(entries, { now, mode: 'timestamp', maxExpiry }, advancedPermissions)[i] as GrantDraft, edited, i, now, context)
  })
  const account = context.smartAccount.address
  const nonce = await context.publicClient.readContract({
    address: context.environment.caveatEnforcers.NonceEnforcer as Address,
    abi: NonceEnforcer,
    functionName: 'currentNonce',
    args: [context.environment.DelegationManager, account],
  })
  // A counterfactual account is deployed by whoever redeems first, from its factory.
  const deployed = await context.smartAccount.isDeployed()
  const { factory, factoryData } = await context.smartAccount.getFactoryArgs()
  const dependencies = deployed || !factory || !factoryData ? [] : [{ factory, factoryData }]
  const answers: Record<string, unknown>[] = []
  for (const plan of plans) {
    const unsigned: Delegation = {
      delegate: plan.to,
      delegator: account,
      authority: rootAuthority,
      caveats: buildCaveats(context.environment, { ...plan, nonce }),
      salt: generatePrivateKey(),
      signature: '0x',
    }
    const delegation = { ...unsigned, signature: await context.smartAccount.signDelegation({ delegation: unsigned }) }
    const permissionContext = encodeDelegations([delegation])
    const answer = {
      chainId: numberToHex(context.chainId),
      from: account,
      to: plan.to,
      permission: plan.populated,
      rules: plan.rules,
      context: permissionContext,
      dependencies,
      delegationManager: context.environment.DelegationManager,
    }
    context.grants.set(permissionContext, { delegation, answer, revoked: false })
    answers.push(answer)
  }
  return answers
}

/** One request, read and checked against this wallet, with what its delegation is built from. */
function plan(draft: GrantDraft, entry: unknown, i: number, now: number, context: MetaMaskContext) {
  const path = `[${i}].`
  const account = context.smartAccount.address
  if (draft.chainId !== context.chainId) throw new InvalidParamsError(`${path}chainId`, `${draft.chainId} is not this wallet's chain (${context.chainId})`)
  if (draft.account !== undefined && !isAddressEqual(draft.account, account))
    throw new InvalidParamsError(`${path}from`, `${draft.account} is not this wallet's account (${account})`)
  const to = draft.signer ? signerAddress(draft.signer) : undefined
  if (to === undefined) throw new InvalidParamsError(`${path}to`, 'is required: the account the permission is granted to')
  const [permission] = draft.permissions
  if (permission?.type !== 'spend' && permission?.type !== 'revocation')
    throw new InvalidParamsError(`${path}permission.type`, `MetaMask grants its Advanced Permission types only, not ${permission?.type}`)
  const body = readObject(entry, `[${i}]`)
  return { path, to, permission, populated: populate(permission, now, body), expiry: draft.expiry, rules: body.rules ?? [] }
}

/** The permission as granted: the wire shape with the defaults MetaMask fills in. */
function populate(permission: Extract<Permission, { type: 'spend' | 'revocation' }>, now: number, body: Record<string, unknown>): PopulatedPermission {
  const asked = readObject(body.permission, 'permission')
  // A stream's absent bounds were read as 0 and uint256 max already; the start is the wallet's now.
  const filled = permission.type === 'spend' ? { ...permission, limit: { ...permission.limit, startTime: permission.limit.startTime ?? now } } : permission
  const wire = encodeAdvancedPermission(filled)
  return { type: wire.type, isAdjustmentAllowed: asked.isAdjustmentAllowed === true, data: wire.data }
}

/**
 * `wallet_getGrantedExecutionPermissions`: every grant not revoked, as it was answered.
 *
 * @example
 * const granted = grantedExecutionPermissions(context)
 */
export function grantedExecutionPermissions(context: MetaMaskContext): Record<string, unknown>[] {
  return [...context.grants.values()].filter((grant) => !grant.revoked).map((grant) => grant.answer)
}

/**
 * `wallet_getSupportedExecutionPermissions`: the eight types on this chain, with the rules each takes.
 *
 * @example
 * supportedExecutionPermissions(context)['native-token-periodic'] // { chainIds: ['0x7a69'], ruleTypes: ['expiry', 'redeemer', 'payee'] }
 */
export function supportedExecutionPermissions(context: MetaMaskContext): Record<string, { chainIds: Hex[]; ruleTypes: string[] }> {
  const chainIds = [toHex(context.chainId)]
  const spend = { chainIds, ruleTypes: ['expiry', 'redeemer', 'payee'] }
  const revocation = { chainIds, ruleTypes: ['expiry', 'redeemer'] }
  return {
    'native-token-stream': spend,
    'native-token-periodic': spend,
    'native-token-allowance': spend,
    'erc20-token-stream': spend,
    'erc20-token-periodic': spend,
    'erc20-token-allowance': spend,
    'erc20-token-revocation': revocation,
    'token-approval-revocation': revocation,
  }
}

/**
 * `wallet_revokeExecutionPermission([{ permissionContext }])`: after the user confirms, the
 * account calls `DelegationManager.disableDelegation(delegation)` on chain, so no redemption of
 * it can succeed again. Answers `{}`.
 *
 * @example
 * await revokeExecutionPermission([{ permissionContext }], context)
 */
export async function revokeExecutionPermission(params: unknown, context: MetaMaskContext): Promise<Record<string, never>> {
  const body = readObject(Array.isArray(params) ? params[0] : params, 'params[0]')
  const permissionContext = readString(body.permissionContext, 'params[0].permissionContext') as Hex
  const grant = context.grants.get(permissionContext)
  if (!grant) throw new InvalidParamsError('params[0].permissionContext', 'is not a permission this wallet granted')
  if (grant.revoked) return {}
  await context.ask({ method: 'wallet_revokeExecutionPermission', summary: `revoke ${String((grant.answer.permission as { type: string }).type)} granted to ${grant.delegation.delegate}`, params })
  await context.execute([
    {
      to: context.environment.DelegationManager,
      data: encodeFunctionData({ abi: DelegationManager, functionName: 'disableDelegation', args: [toDelegationStruct(grant.delegation)] }),
    },
  ])
  // A user operation whose call reverts still lands: ask the DelegationManager.
  const disabled = await context.publicClient.readContract({ address: context.environment.DelegationManager, abi: DelegationManager, functionName: 'disabledDelegations', args: [hashDelegation(grant.delegation)] })
  if (!disabled) throw new InternalError(`disableDelegation did not take effect for ${permissionContext.slice(0, 18)}…`)
  grant.revoked = true
  return {}
}
