import type { Address, Hex } from 'viem'
import type { RequestArguments } from './types.js'

/** A permission as keyleash answers it in the June 2024 shape: what the wallet granted, narrowed to what was asked. */
export type GrantedPermission = {
  type: string
  data: Record<string, unknown>
  policies: readonly { type: string | { custom: string }; data: Record<string, unknown> }[]
  required?: boolean | undefined
}

/** An amount in a grant request: 0x-hex (what viem sends), a decimal string, a bigint or a safe integer; in wei or the token's smallest unit. */
export type Quantity = Hex | `${bigint}` | bigint | number

/**
 * A policy of a permission, as the ERC-7715 drafts write it: a limit keyleash enforces (and the
 * wallet too, where it can). `call-limit` also goes under `type.custom` (Openfort reads it
 * there, with `limit` for `count`); `token-allowance` / `spent-limit` cap a token permission's
 * spend (the smaller of it and `data.allowance`).
 *
 * @example
 * const policies: PermissionPolicyRequest[] = [{ type: { custom: 'call-limit' }, data: { count: 10 } }]
 */
export type PermissionPolicyRequest =
  | { type: 'call-limit' | { custom: 'call-limit' }; data: { count: number } | { limit: number } }
  | { type: 'rate-limit'; data: { count: number; interval: number } }
  | { type: 'gas-limit'; data: { limit: Quantity } }
  | { type: 'token-allowance' | 'spent-limit'; data: { allowance: Quantity } }

/** What every permission of a grant request may carry besides its type and data. */
export type PermissionRequestBase = {
  /** Limits on the session (a token permission's allowance among them). */
  policies?: readonly PermissionPolicyRequest[] | undefined
  /** Whether the wallet must grant it; a type keyleash cannot enforce must say `false`. */
  required?: boolean | undefined
}

/** `contract-call`: the functions of one contract the session key may call (`calls` empty or absent: every function). */
export type ContractCallPermissionRequest = PermissionRequestBase & {
  type: 'contract-call'
  /** `calls`: function signatures (`'mint(address)'`) or 4-byte selectors. */
  data: { address: Address; calls?: readonly string[] | undefined }
}

/** `native-token-transfer`: the native value (wei) the session's calls may send in all, as `data.allowance` or a `token-allowance` policy. */
export type NativeTokenTransferPermissionRequest = PermissionRequestBase & {
  type: 'native-token-transfer'
  /** `ticker` is viem's label (`'ETH'`), kept but not read. */
  data?: { allowance?: Quantity | undefined; ticker?: string | undefined } | undefined
}

/**
 * `erc20-token-transfer`: what the session may spend of one token in all (`transfer`,
 * `transferFrom`, `approve`, `permit` counted), as `data.allowance` or a `token-allowance` policy.
 */
export type Erc20TokenTransferPermissionRequest = PermissionRequestBase & {
  type: 'erc20-token-transfer'
  /** `address`: the token. `ticker` is viem's label, kept but not read. */
  data: { address: Address; allowance?: Quantity | undefined; ticker?: string | undefined }
}

/** A permission type keyleash does not know: kept, never signed under; it must say `required: false`. */
export type CustomPermissionRequest = PermissionRequestBase & {
  type: { custom: string }
  data?: unknown
}

/**
 * One permission of a `wallet_grantPermissions` request (June 2024 and 2025 shapes), typed per
 * permission type.
 *
 * @example
 * const permissions: PermissionRequest[] = [
 *   { type: 'contract-call', data: { address: nft, calls: ['mint(address)'] } },
 *   { type: 'native-token-transfer', data: { allowance: '0x2386f26fc10000' } }, // 0.01 ETH in all
 *   { type: 'erc20-token-transfer', data: { address: token }, policies: [{ type: 'token-allowance', data: { allowance: '0x56bc75e2d63100000' } }] },
 * ]
 */
export type PermissionRequest =
  | ContractCallPermissionRequest
  | NativeTokenTransferPermissionRequest
  | Erc20TokenTransferPermissionRequest
  | CustomPermissionRequest

/** One grant request in viem's June 2024 shape (`erc7715Actions().grantPermissions` sends it). */
export type GrantRequest2024 = {
  expiry: number
  signer?: Record<string, unknown> | undefined
  permissions: readonly PermissionRequest[]
  chainId?: undefined
}

/** keyleash's answer to a June 2024 grant: one object, as viem reads it. */
export type GrantAnswer2024 = {
  expiry: number
  grantedPermissions: readonly GrantedPermission[]
  /** The session's id: pass it as `capabilities.permissions.context` of `wallet_sendCalls`. */
  permissionsContext: string
}

/** One grant request in the 2025 list shape (ERC-7715 as merged): it names its chain. */
export type GrantRequest2025 = {
  chainId: Hex
  address?: Address | undefined
  expiry: number
  signer: Record<string, unknown>
  permissions: readonly PermissionRequest[]
}

/** keyleash's answer to a 2025 grant, and `wallet_getPermissions`: each request as granted, with its context. */
export type GrantAnswer2025 = GrantRequest2025 & { address: Address; context: string; [field: string]: unknown }

/** One `wallet_requestExecutionPermissions` request (ERC-7715, 2026; MetaMask's kit sends these). */
export type ExecutionPermissionRequest = {
  chainId: Hex
  from?: Address | undefined
  to?: Address | undefined
  permission: { type: string; isAdjustmentAllowed: boolean; data: Record<string, unknown> }
  rules?: readonly { type: string; data: Record<string, unknown> }[] | undefined
}

/** keyleash's answer to an execution-permission request, and `wallet_getGrantedExecutionPermissions`. */
export type ExecutionPermissionAnswer = ExecutionPermissionRequest & { from: Address; context: string; [field: string]: unknown }

/** ERC-5792 `wallet_sendCalls` params, with the ERC-7715 capability that names the session. */
export type SendCallsRequest = {
  version: string
  id?: string | undefined
  from?: Address | undefined
  chainId: Hex
  atomicRequired: boolean
  calls: readonly { to?: Address | undefined; data?: Hex | undefined; value?: Hex | undefined; capabilities?: Record<string, unknown> | undefined }[]
  capabilities?: ({ permissions?: { context: string } | undefined } & Record<string, unknown>) | undefined
}

/**
 * `request` of a {@link KeyleashProvider}, typed like viem's EIP-1193 request for the methods
 * keyleash answers itself: the method's params in, its answer out, so callers need no cast.
 * Every other method is the inner wallet's, `unknown` out.
 *
 * @example
 * const { permissionsContext } = await provider.request({ method: 'wallet_grantPermissions', params: [{ expiry: 3600, permissions }] })
 * const { id } = await provider.request({ method: 'wallet_sendCalls', params: [{ version: '2.0.0', chainId: '0x1', atomicRequired: true, calls, capabilities: { permissions: { context: permissionsContext } } }] })
 */
export type KeyleashRequest = {
  (args: { method: 'wallet_grantPermissions'; params: readonly [GrantRequest2024] }): Promise<GrantAnswer2024>
  (args: { method: 'wallet_grantPermissions'; params: readonly GrantRequest2025[] }): Promise<GrantAnswer2025[]>
  (args: { method: 'wallet_requestExecutionPermissions'; params: readonly ExecutionPermissionRequest[] }): Promise<ExecutionPermissionAnswer[]>
  (args: { method: 'wallet_getPermissions'; params?: readonly unknown[] | undefined }): Promise<GrantAnswer2025[]>
  (args: { method: 'wallet_getGrantedExecutionPermissions'; params?: readonly unknown[] | undefined }): Promise<ExecutionPermissionAnswer[]>
  (args: { method: 'wallet_sendCalls'; params: readonly [SendCallsRequest] }): Promise<{ id: string; capabilities?: Record<string, unknown> | undefined }>
  (args: { method: 'personal_sign'; params: readonly [message: Hex | string, address: Address] }): Promise<Hex>
  (args: { method: 'eth_signTypedData_v4'; params: readonly [address: Address, typedData: string | Record<string, unknown>] }): Promise<Hex>
  (args: { method: 'eth_sendTransaction'; params: readonly [Record<string, unknown>] }): Promise<Hex>
  (args: RequestArguments): Promise<unknown>
}
