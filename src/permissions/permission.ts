import { numberToHex, type Hex } from 'viem'
import { InternalError, InvalidParamsError } from '../errors.js'
import { isAdvancedPermissionType } from './advancedTypes.js'
import type { PermissionKinds } from './dialects/types.js'
import { describe, readAddress, readArray, readBoolean, readObject, readPositiveInteger, readQuantity, type Fields } from './read.js'
import { toSelector } from './selectors.js'
import type { Permission, Policy } from './types.js'

/** A permission as it travels: `{ type, data }`, the part every ERC-7715 draft shares. */
export type WirePermission = { type: string; data: unknown }

/** A permission read from the wire, with the session-wide limits its policies carried. */
export type ParsedPermission = { permission: Permission; policies: Policy[] }

// A permission type may be a string or, in the June 2024 draft, `{ custom: name }`; viem
// flattens the object to its name on the wire, other senders do not.
function typeName(value: unknown, field: string): string {
  if (typeof value === 'string' && value.length > 0) return value
  if (typeof value === 'object' && value !== null && typeof (value as Fields).custom === 'string')
    return (value as { custom: string }).custom
  throw new InvalidParamsError(field, `${describe(value)} is not a permission type (a string or { custom })`)
}

/**
 * Reads one permission of any draft: `{ type, data, policies?, required? }`. Known types
 * are checked field by field, those of the wallet's `kinds` (MetaMask's) by them; an unknown
 * type is kept as `custom`, and is refused when `required` is true or absent (nothing the
 * middleware cannot enforce is signed under). One of MetaMask's types without `kinds` is refused.
 *
 * @example
 * parsePermission({ type: 'contract-call', data: { address: '0x…', calls: ['mint(address)'] } }, 'permissions[0]')
 */
export function parsePermission(value: unknown, field: string, kinds?: PermissionKinds): ParsedPermission {
  const entry = readObject(value, field)
  const type = typeName(entry.type, `${field}.type`)
  const { policies, allowance } = parsePolicies(entry.policies, `${field}.policies`, type)

  if (type === 'contract-call') {
    const data = readObject(entry.data, `${field}.data`)
    const target = readAddress(data.address, `${field}.data.address`)
    const calls = data.calls === undefined ? [] : readArray(data.calls, `${field}.data.calls`)
    const selectors = calls.map((call, i) => toSelector(call, `${field}.data.calls[${i}]`))
    return { permission: { type, target, selectors: selectors.length === 0 ? 'any' : normalizeSelectors(selectors) }, policies }
  }
  if (type === 'native-token-transfer') {
    const data = entry.data === undefined ? {} : readObject(entry.data, `${field}.data`)
    return { permission: { type: 'native-transfer', allowance: readAllowance(data, allowance, field) }, policies }
  }
  if (type === 'erc20-token-transfer') {
    const data = readObject(entry.data, `${field}.data`)
    const token = readAddress(data.address, `${field}.data.address`)
    return { permission: { type: 'erc20-transfer', token, allowance: readAllowance(data, allowance, field) }, policies }
  }
  const kind = kinds?.parse(type, entry.data, field)
  if (kind) {
    if (policies.length > 0) throw new InvalidParamsError(`${field}.policies`, `a ${type} permission carries its limits in data, not in policies`)
    return { permission: kind, policies }
  }
  // Required or not: an app that asks for a spending limit means it, it is never kept unenforced.
  if (isAdvancedPermissionType(type))
    throw new InvalidParamsError(`${field}.type`, `"${type}" is one of MetaMask's Advanced Permissions, which keyleash reads only for a wallet that grants them`, {
      hint: "make the provider with wallet: executionPermissions from keyleash/wallets (MetaMask's dialect, which brings them)",
    })
  const required = entry.required === undefined || readBoolean(entry.required, `${field}.required`)
  if (required)
    throw new InvalidParamsError(`${field}.type`, `"${type}" is a permission type keyleash cannot enforce, and it is required`, {
      hint: 'use contract-call, native-token-transfer, erc20-token-transfer or one of MetaMask\'s types (native-token-periodic …), or send it with required: false',
    })
  return { permission: { type: 'custom', name: type, data: entry.data, required }, policies }
}

function readAllowance(data: Fields, fromPolicy: bigint | undefined, field: string): bigint {
  if (data.allowance !== undefined) {
    const allowance = readQuantity(data.allowance, `${field}.data.allowance`)
    return fromPolicy === undefined || allowance < fromPolicy ? allowance : fromPolicy
  }
  if (fromPolicy !== undefined) return fromPolicy
  throw new InvalidParamsError(`${field}.data.allowance`, 'a token permission needs an allowance (data.allowance or a token-allowance policy)')
}

/**
 * Reads the June 2024 draft's policies (`permissionType` is the permission they sit on). Limits (`call-limit`, `rate-limit`,
 * `gas-limit`) apply to the whole session, which is never wider than the permission
 * asked for; an allowance (`token-allowance`, `spent-limit`) belongs to its token permission.
 */
export function parsePolicies(value: unknown, field: string, permissionType: string): { policies: Policy[]; allowance?: bigint } {
  if (value === undefined) return { policies: [] }
  const policies: Policy[] = []
  let allowance: bigint | undefined
  readArray(value, field).forEach((raw, i) => {
    const at = `${field}[${i}]`
    const policy = readObject(raw, at)
    const type = typeName(policy.type, `${at}.type`)
    const data = readObject(policy.data, `${at}.data`)
    switch (type) {
      case 'call-limit':
        // Openfort reads `limit`, the drafts `count`.
        policies.push({ type, count: readPositiveInteger(data.count ?? data.limit, `${at}.data.${data.count === undefined ? 'limit' : 'count'}`) })
        return
      case 'rate-limit':
        policies.push({ type, count: readPositiveInteger(data.count, `${at}.data.count`), interval: readPositiveInteger(data.interval, `${at}.data.interval`) })
        return
      case 'gas-limit': {
        const limit = readQuantity(data.limit, `${at}.data.limit`)
        if (limit === 0n) throw new InvalidParamsError(`${at}.data.limit`, 'must be a positive integer, got 0')
        policies.push({ type, limit })
        return
      }
      case 'token-allowance':
      case 'spent-limit': {
        if (permissionType !== 'native-token-transfer' && permissionType !== 'erc20-token-transfer')
          throw new InvalidParamsError(`${at}.type`, `"${type}" limits a token permission, not "${permissionType}"`)
        const amount = readQuantity(data.allowance, `${at}.data.allowance`)
        allowance = allowance === undefined || amount < allowance ? amount : allowance
        return
      }
      default:
        throw new InvalidParamsError(`${at}.type`, `"${type}" is not a policy keyleash can enforce`, {
          hint: 'use call-limit, rate-limit, gas-limit, token-allowance or spent-limit',
        })
    }
  })
  return allowance === undefined ? { policies } : { policies, allowance }
}

/** Selectors lower-case, unique and sorted, so equal scopes compare equal. */
export function normalizeSelectors(selectors: readonly Hex[]): readonly Hex[] {
  return [...new Set(selectors)].sort()
}

/**
 * Merges permissions that name the same thing: one contract-call per target (the union of
 * their selectors), one allowance per token. Two different allowances for one token are
 * ambiguous and refused.
 */
export function mergePermissions(permissions: readonly Permission[], field: string): Permission[] {
  const merged = new Map<string, Permission>()
  permissions.forEach((permission, i) => {
    // Custom permissions are never merged: each keeps its own key.
    const key = permissionKey(permission) ?? `custom:${i}`
    const existing = merged.get(key)
    if (existing?.type === 'contract-call' && permission.type === 'contract-call') {
      const selectors = existing.selectors === 'any' || permission.selectors === 'any' ? 'any' : normalizeSelectors([...existing.selectors, ...permission.selectors])
      merged.set(key, { ...existing, selectors })
    } else if (existing && 'allowance' in existing && 'allowance' in permission && existing.allowance !== permission.allowance) {
      throw new InvalidParamsError(`${field}[${i}]`, `a second ${permission.type} permission for the same token with another allowance; send one`)
    } else if (!existing) merged.set(key, permission)
  })
  return [...merged.values()]
}

/** What a known permission names (`call:<target>`, `erc20:<token>`, `native`); `undefined` for a custom one. */
export function permissionKey(permission: Permission): string | undefined {
  if (permission.type === 'contract-call') return `call:${permission.target.toLowerCase()}`
  if (permission.type === 'erc20-transfer') return `erc20:${permission.token.toLowerCase()}`
  if (permission.type === 'native-transfer') return 'native'
  // Two limits on one token are two permissions at the wallet (two delegations): never merged.
  return undefined
}

/** Merges session limits: the strictest of each kind wins; rate limits all hold. */
export function mergePolicies(policies: readonly Policy[]): Policy[] {
  let callLimit: Policy | undefined
  let gasLimit: Policy | undefined
  const rateLimits: Policy[] = []
  // Seen rate limits by `count/interval`: a lookup, not a scan, however many a wallet answers.
  const seen = new Set<string>()
  for (const policy of policies) {
    if (policy.type === 'call-limit') callLimit = callLimit?.type === 'call-limit' && callLimit.count <= policy.count ? callLimit : policy
    else if (policy.type === 'gas-limit') gasLimit = gasLimit?.type === 'gas-limit' && gasLimit.limit <= policy.limit ? gasLimit : policy
    else if (!seen.has(`${policy.count}/${policy.interval}`)) {
      seen.add(`${policy.count}/${policy.interval}`)
      rateLimits.push(policy)
    }
  }
  return [...(callLimit ? [callLimit] : []), ...rateLimits, ...(gasLimit ? [gasLimit] : [])]
}

/** The wire form every draft shares; amounts as hex. MetaMask's kinds are written by the wallet dialect's `kinds`. */
export function encodePermission(permission: Permission, kinds?: PermissionKinds): WirePermission {
  switch (permission.type) {
    case 'contract-call':
      return { type: 'contract-call', data: { address: permission.target, calls: permission.selectors === 'any' ? [] : [...permission.selectors] } }
    case 'native-transfer':
      return { type: 'native-token-transfer', data: { allowance: numberToHex(permission.allowance) } }
    case 'erc20-transfer':
      return { type: 'erc20-token-transfer', data: { address: permission.token, allowance: numberToHex(permission.allowance) } }
    case 'spend':
    case 'revocation':
      if (kinds) return kinds.encode(permission)
      // A session another provider granted (a shared store): it cannot be written without them.
      throw new InternalError(`a ${permission.type} permission is one of MetaMask's, which this provider cannot write; make it with wallet: executionPermissions from keyleash/wallets`)
    case 'custom':
      return { type: permission.name, data: permission.data }
  }
}

/** Policies in the June 2024 draft's wire form. */
export function encodePolicy(policy: Policy): { type: string; data: Record<string, unknown> } {
  switch (policy.type) {
    case 'call-limit':
      return { type: policy.type, data: { count: policy.count } }
    case 'rate-limit':
      return { type: policy.type, data: { count: policy.count, interval: policy.interval } }
    case 'gas-limit':
      return { type: policy.type, data: { limit: numberToHex(policy.limit) } }
  }
}
