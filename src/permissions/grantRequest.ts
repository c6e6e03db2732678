import type { Address } from 'viem'
import { InvalidParamsError, UnauthorizedError } from '../errors.js'
import type { AllowListOption } from './allowList.js'
import { resolveExpiry, type ExpiryRules } from './expiry.js'
import { mergePermissions, mergePolicies, parsePermission, parsePolicies } from './permission.js'
import { readAddress, readArray, readChainId, type Fields } from './read.js'
import { toSelector } from './selectors.js'
import { notConnected } from '../walletState.js'
import { parseSigner } from './signer.js'
import type { PermissionKinds } from './dialects/types.js'
import type { GrantRequest, Permission, Policy, Signer } from './types.js'

/** A grant as the app sent it, checked, before the wallet's chain and account are known. */
export type GrantDraft = Omit<GrantRequest, 'chainId' | 'account'> & {
  chainId: number | undefined
  account: Address | undefined
  /** Where this grant sits in the params (`''` or `[1].`), for error paths. */
  path: string
}

/**
 * The most permissions one grant may hold, and the most grant requests one call may carry. Far
 * more than any app asks (Openfort keeps 10 targets); a bound, so that a hostile request costs
 * linear work that ends quickly instead of holding the event loop.
 */
export const maxPermissions = 256

/**
 * -32602 naming `field` when a list is longer than {@link maxPermissions}.
 *
 * @example
 * assertWithinCap(list.length, 'params')
 */
export function assertWithinCap(length: number, field: string): void {
  if (length > maxPermissions)
    throw new InvalidParamsError(field, `holds ${length} entries; at most ${maxPermissions} per grant`, { hint: 'split the grant into several' })
}

/** The wallet's side of a grant: its chain and accounts, asked for once per grant. */
export type WalletState = { chainId: number; accounts: readonly Address[] }

/**
 * Reads the body most drafts share: `{ chainId?, address?, expiry, signer?, permissions,
 * policies? }`. Permission policies are lifted to the session; `kinds` reads the wallet's own types.
 */
export function parseGrantBody(body: Fields, path: string, rules: ExpiryRules, kinds: PermissionKinds | undefined): GrantDraft {
  return parseGrantParts({
    path,
    rules,
    chainId: body.chainId,
    account: body.address,
    accountField: 'address',
    signer: parseSigner(body.signer, `${path}signer`),
    expiry: body.expiry,
    expiryField: 'expiry',
    permissions: readArray(body.permissions, `${path}permissions`).map((value, i) => ({ value, field: `${path}permissions[${i}]` })),
    permissionsField: `${path}permissions`,
    policies: body.policies,
    kinds,
  })
}

/** The parts of a grant, wherever a draft keeps them; the one place a grant is checked. */
export function parseGrantParts(parts: {
  path: string
  rules: ExpiryRules
  chainId: unknown
  account: unknown
  accountField: string
  signer: Signer | undefined
  expiry: unknown
  expiryField: string
  /** Each permission with its field path. */
  permissions: readonly { value: unknown; field: string }[]
  /** The path of the permission list, for errors about the list as a whole. */
  permissionsField: string
  policies?: unknown
  adjustmentAllowed?: boolean | undefined
  /** The wallet dialect's `permissionKinds`: the types core does not read itself. */
  kinds: PermissionKinds | undefined
}): GrantDraft {
  const { path } = parts
  assertWithinCap(parts.permissions.length, parts.permissionsField)
  const expiry = resolveExpiry(parts.expiry, `${path}${parts.expiryField}`, parts.rules)
  if (parts.permissions.length === 0)
    throw new InvalidParamsError(parts.permissionsField, 'must hold at least one permission')
  const permissions: Permission[] = []
  const policies: Policy[] = []
  parts.permissions.forEach(({ value, field }) => {
    const parsed = parsePermission(value, field, parts.kinds)
    permissions.push(parsed.permission)
    policies.push(...parsed.policies)
  })
  // Some drafts put policies beside the permissions rather than on them.
  policies.push(...parsePolicies(parts.policies, `${path}policies`, 'session').policies)
  return {
    path,
    chainId: parts.chainId === undefined ? undefined : readChainId(parts.chainId, `${path}chainId`),
    account: parts.account === undefined ? undefined : readAddress(parts.account, `${path}${parts.accountField}`),
    signer: parts.signer,
    expiry,
    permissions: mergePermissions(permissions, parts.permissionsField),
    policies: mergePolicies(policies),
    ...(parts.adjustmentAllowed === undefined ? {} : { adjustmentAllowed: parts.adjustmentAllowed }),
  }
}

/**
 * Fills in the chain and account from the wallet and checks the grant against them and
 * against the app's allow-list. A session key may never call the account itself.
 */
export function resolveGrant(draft: GrantDraft, wallet: WalletState, allow: AllowListOption | undefined): GrantRequest {
  const { path } = draft
  if (draft.chainId !== undefined && draft.chainId !== wallet.chainId)
    throw new InvalidParamsError(`${path}chainId`, `${draft.chainId} is not the wallet's chain (${wallet.chainId}); switch the wallet's chain first`)
  const account = draft.account ?? wallet.accounts[0]
  if (account === undefined)
    throw notConnected()
  const lower = account.toLowerCase()
  if (!wallet.accounts.some((a) => a.toLowerCase() === lower))
    throw new InvalidParamsError(`${path}address`, `${account} is not an account of this wallet`)
  draft.permissions.forEach((permission, i) => {
    if (permission.type === 'contract-call' && permission.target.toLowerCase() === lower)
      throw new InvalidParamsError(`${path}permissions[${i}].data.address`, 'is the account itself; a session key may never call its own account')
  })
  allow?.check(draft.permissions, path)
  // Written out, not a rest and a spread of the draft: two copies key by key on every grant.
  const request: GrantRequest = { chainId: wallet.chainId, account, signer: draft.signer, expiry: draft.expiry, permissions: draft.permissions, policies: draft.policies }
  if ('adjustmentAllowed' in draft) request.adjustmentAllowed = draft.adjustmentAllowed
  return request
}
