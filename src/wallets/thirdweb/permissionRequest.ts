import { type Address, type Hex, getTypesForEIP712Domain, serializeTypedData, toHex, zeroAddress } from 'viem'
import { InvalidParamsError } from '../../errors.js'
import type { ResolvedGrantRequest } from '../../permissions/dialects/types.js'
import { signerAddress } from '../../permissions/signer.js'
import type { GrantRequest, Permission, Signer } from '../../permissions/types.js'
import { signerPermissionRequestTypes } from './abi.js'

/** What a grant asks of thirdweb's account for its session key, before the request is dated and numbered. */
export type SignerPermissions = {
  signer: Address
  approvedTargets: readonly Address[]
  /** The most native value (wei) one call may send. */
  nativeTokenLimitPerTransaction: bigint
  permissionStartTimestamp: bigint
  permissionEndTimestamp: bigint
}

/** thirdweb's `SignerPermissionRequest`: what its owner signs and `setPermissionsForSigner` takes. */
export type SignerPermissionRequest = SignerPermissions & {
  /** 0: a session key (1 would make an admin, 2 remove one: never sent by keyleash). */
  isAdmin: 0
  reqValidityStartTimestamp: bigint
  reqValidityEndTimestamp: bigint
  /** Random: the account executes each request once. */
  uid: Hex
}

// A signed request that was never sent (the send failed) stays usable by whoever holds it only
// this long; the session's own window is `permissionEndTimestamp`.
const requestValiditySeconds = 600n

/**
 * The session key's permissions on thirdweb's account for one grant, or a -32602 naming the
 * field it cannot hold. Contract calls and ERC-20 transfers become approved targets (their
 * selectors and token amounts stay keyleash's); a native-transfer allowance becomes the
 * per-transaction value limit (its total stays keyleash's); the expiry ends the window, which
 * starts at once. The account has no rate or gas limit, and a call limit is keyleash's.
 *
 * @example
 * toSignerPermissions(request) // { signer, approvedTargets: [nft], nativeTokenLimitPerTransaction: 0n, … }
 */
export function toSignerPermissions(request: ResolvedGrantRequest): SignerPermissions {
  const signer = sessionKeyAddress(request.signer)
  const targets = new Map<string, Address>()
  let native: bigint | undefined
  request.permissions.forEach((permission, i) => {
    if (permission.type === 'native-transfer') native = native === undefined || permission.allowance < native ? permission.allowance : native
    else if (permission.type === 'contract-call' || permission.type === 'erc20-transfer') {
      const target = permission.type === 'contract-call' ? permission.target : permission.token
      // address(0) alone in the list is the account's wildcard: every contract.
      if (target.toLowerCase() === zeroAddress)
        throw new InvalidParamsError(`permissions[${i}].data.address`, "is the zero address, which thirdweb's account reads as every contract; name the contract")
      targets.set(target.toLowerCase(), target)
    } else
      throw new InvalidParamsError(
        `permissions[${i}].type`,
        `thirdweb's account holds contract calls, ERC-20 transfers and a native value limit per call, not a ${permission.type === 'custom' ? permission.name : permission.type} permission`,
        { hint: 'grant contract-call, erc20-token-transfer or native-token-transfer permissions' },
      )
  })
  if (targets.size === 0)
    throw new InvalidParamsError('permissions', "thirdweb's account takes a session key only for named contracts; grant at least one contract-call or erc20-token-transfer permission")
  request.policies.forEach((policy, j) => {
    if (policy.type !== 'call-limit')
      throw new InvalidParamsError(`policies[${j}]`, `thirdweb's account cannot hold a ${policy.type} policy, and keyleash does not check one; grant without it (a call-limit is kept by keyleash)`)
  })
  return {
    signer,
    approvedTargets: [...targets.values()],
    nativeTokenLimitPerTransaction: native ?? 0n,
    permissionStartTimestamp: 0n,
    permissionEndTimestamp: BigInt(request.expiry),
  }
}

/**
 * The permissions keyleash holds for what the account holds: as granted, except that native value
 * goes only to `approvedTargets`, since the account refuses a plain transfer to anyone else.
 *
 * @example
 * heldPermissions(request.permissions, [nft]) // [{ type: 'native-transfer', allowance: 5000n, payees: [nft] }, …]
 */
export function heldPermissions(permissions: readonly Permission[], approvedTargets: readonly Address[]): Permission[] {
  return permissions.map((permission) => (permission.type === 'native-transfer' ? { ...permission, payees: approvedTargets } : permission))
}

/**
 * The permissions that end a session key on thirdweb's account: no targets, a window that
 * ended at 0 (as thirdweb's own `removeSessionKey` sends).
 *
 * @example
 * revokedSignerPermissions({ type: 'account', address: key }) // { signer: key, approvedTargets: [], … }
 */
export function revokedSignerPermissions(signer: Signer): SignerPermissions {
  return { signer: sessionKeyAddress(signer), approvedTargets: [], nativeTokenLimitPerTransaction: 0n, permissionStartTimestamp: 0n, permissionEndTimestamp: 0n }
}

/**
 * Whether a grant's native value is a total only keyleash holds: the account caps each call,
 * so the value rule is the account's only when no value is granted.
 *
 * @example
 * grantsNativeValue(request) // true with a native-token-transfer allowance above 0
 */
export function grantsNativeValue(request: Pick<GrantRequest, 'permissions'>): boolean {
  return request.permissions.some((permission) => permission.type === 'native-transfer' && permission.allowance > 0n)
}

/**
 * The request to sign: `permissions`, valid to submit from now for a few minutes, with a fresh uid.
 *
 * @example
 * const request = signerPermissionRequest(toSignerPermissions(grant), now)
 */
export function signerPermissionRequest(permissions: SignerPermissions, now: number): SignerPermissionRequest {
  return {
    ...permissions,
    isAdmin: 0,
    reqValidityStartTimestamp: 0n,
    reqValidityEndTimestamp: BigInt(now) + requestValiditySeconds,
    uid: toHex(crypto.getRandomValues(new Uint8Array(32))),
  }
}

/**
 * The EIP-712 typed data the owner signs (`eth_signTypedData_v4`'s second param), as thirdweb's
 * account recovers it: domain `Account` version `1` on the account itself.
 *
 * @example
 * await inner.request({ method: 'eth_signTypedData_v4', params: [owner, signerPermissionTypedData(request, account, chainId)] })
 */
export function signerPermissionTypedData(request: SignerPermissionRequest, account: Address, chainId: number): string {
  const domain = { name: 'Account', version: '1', chainId, verifyingContract: account }
  const types = { EIP712Domain: getTypesForEIP712Domain({ domain }), ...signerPermissionRequestTypes } as const
  return serializeTypedData({ domain, types, primaryType: 'SignerPermissionRequest', message: request } as Parameters<typeof serializeTypedData>[0])
}

/** The session key as the account names it: by address (an account signer, or a secp256k1 key). */
function sessionKeyAddress(signer: Signer): Address {
  // A P-256 key has a name keyleash derives, not an address the account could recover.
  const address = signer.type === 'account' || (signer.type === 'key' && signer.key.keyType === 'secp256k1') ? signerAddress(signer) : undefined
  if (address === undefined)
    throw new InvalidParamsError('signer', "thirdweb's account names a session key by its address: grant to an account signer or a secp256k1 key (keyType 'secp256k1', the default)")
  return address
}
