import { type Address, type Hex, getAddress, isHex, maxUint48 } from 'viem'
import { InvalidParamsError } from '../../errors.js'
import type { AccountCall } from '../contracts.js'
import { isAddressShape } from '../../permissions/isAddressShape.js'

/** A JSON body as received. */
export type Body = Readonly<Record<string, unknown>>

/** A session as Openfort's API takes it (`POST /v1/sessions`): no selectors, value or token limits. */
export type CreateSession = {
  key: Address
  validAfter: number
  validUntil: number
  /** At most 10 targets (checked by the account, as Openfort's accounts check it). */
  whitelist: Address[]
  /** Calls the key may make; absent when the request names none. */
  limit?: number | undefined
  account: string
}

/**
 * Reads `POST /v1/sessions` (`{ address, chainId, validAfter, validUntil, whitelist, account,
 * limit? }`, what the SDK's `wallet_grantPermissions` sends).
 *
 * @example
 * const { key, whitelist, limit } = readCreateSession(body, 31337)
 */
export function readCreateSession(body: Body, chainId: number): CreateSession {
  readChain(body.chainId, chainId)
  const validAfter = readSeconds(body.validAfter, 'validAfter')
  const validUntil = readSeconds(body.validUntil, 'validUntil')
  if (validUntil <= validAfter) throw new InvalidParamsError('validUntil', `must be after validAfter (${validAfter}), got ${validUntil}`)
  if (validUntil > Number(maxUint48)) throw new InvalidParamsError('validUntil', 'does not fit the account (uint48 seconds)')
  const whitelist = Array.isArray(body.whitelist) ? body.whitelist : []
  const limit = body.limit === undefined || body.limit === null ? undefined : body.limit
  if (limit !== undefined && (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 0 || limit > Number(maxUint48)))
    throw new InvalidParamsError('limit', `must be a non-negative integer (uint48), got ${JSON.stringify(limit)}`)
  return {
    key: readAddress(body.address, 'address'),
    validAfter,
    validUntil,
    whitelist: whitelist.map((target, i) => readAddress(target, `whitelist[${i}]`)),
    limit,
    account: readId(body.account, 'account'),
  }
}

/**
 * Reads `POST /v1/transaction_intents` (`{ account, chainId, interactions: [{ to, data?, value? }] }`)
 * into the calls the account executes.
 *
 * @example
 * const { calls } = readCreateIntent(body, 31337)
 */
export function readCreateIntent(body: Body, chainId: number): { account: string; calls: AccountCall[] } {
  readChain(body.chainId, chainId)
  if (!Array.isArray(body.interactions) || body.interactions.length === 0)
    throw new InvalidParamsError('interactions', 'must be a non-empty list of { to, data?, value? }')
  const calls = body.interactions.map((raw: unknown, i): AccountCall => {
    const interaction = (typeof raw === 'object' && raw !== null ? raw : {}) as Body
    const data = interaction.data ?? '0x'
    if (!isHex(data)) throw new InvalidParamsError(`interactions[${i}].data`, 'must be 0x hex')
    return { target: readAddress(interaction.to, `interactions[${i}].to`), value: readValue(interaction.value, `interactions[${i}].value`), data }
  })
  return { account: readId(body.account, 'account'), calls }
}

/**
 * Reads `POST /v1/sessions/revoke` (`{ address, chainId, account }`): the session key's address.
 *
 * @example
 * const { key } = readRevokeSession(body, 31337)
 */
export function readRevokeSession(body: Body, chainId: number): { key: Address; account: string } {
  readChain(body.chainId, chainId)
  return { key: readAddress(body.address, 'address'), account: readId(body.account, 'account') }
}

/**
 * Reads `POST …/signature` (`{ signature }`).
 *
 * @example
 * const signature = readSignature(body)
 */
export function readSignature(body: Body): Hex {
  if (!isHex(body.signature) || body.signature.length < 4) throw new InvalidParamsError('signature', 'must be 0x hex')
  return body.signature
}

function readChain(value: unknown, chainId: number): void {
  if (value !== chainId) throw new InvalidParamsError('chainId', `this backend serves chain ${chainId}, got ${JSON.stringify(value)}`)
}

function readSeconds(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw new InvalidParamsError(field, `must be UNIX seconds, got ${JSON.stringify(value)}`)
  return value
}

function readAddress(value: unknown, field: string): Address {
  if (!isAddressShape(value)) throw new InvalidParamsError(field, `must be an address, got ${JSON.stringify(value)}`)
  return getAddress(value)
}

function readId(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new InvalidParamsError(field, 'must be an account id (acc_…)')
  return value
}

function readValue(value: unknown, field: string): bigint {
  if (value === undefined || value === null) return 0n
  try {
    const amount = BigInt(value as string)
    if (amount >= 0n) return amount
  } catch {
    // Reported below with the field's name.
  }
  throw new InvalidParamsError(field, `must be a wei amount (decimal or 0x), got ${JSON.stringify(value)}`)
}
