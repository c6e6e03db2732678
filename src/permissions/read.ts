import { getAddress, type Address, type Hex } from 'viem'
import { InvalidParamsError, redactHex } from '../errors.js'
import { isAddressShape } from './isAddressShape.js'
import { isHexBytes } from './isHexBytes.js'

/*
 * Readers for untrusted JSON: each checks one value, names its field path in the
 * error, and returns it typed. Parsers are built from these, so every failure is a
 * -32602 that says where and why.
 */

export type Fields = Readonly<Record<string, unknown>>

/** `value` as a plain object, or -32602. */
export function readObject(value: unknown, field: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new InvalidParamsError(field, `must be an object, got ${describe(value)}`)
  return value as Fields
}

/** `value` as an array, or -32602. */
export function readArray(value: unknown, field: string): readonly unknown[] {
  if (!Array.isArray(value)) throw new InvalidParamsError(field, `must be an array, got ${describe(value)}`)
  return value
}

/** `value` as a non-empty string, or -32602. */
export function readString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0)
    throw new InvalidParamsError(field, `must be a non-empty string, got ${describe(value)}`)
  return value
}

/** `value` as true or false, or -32602. */
export function readBoolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw new InvalidParamsError(field, `must be true or false, got ${describe(value)}`)
  return value
}

// Checksumming hashes the address; grants name the same few addresses over and over.
const addresses = new Map<string, Address>()
const addressLimit = 1024

/** `value` as a checksummed address. Mixed case must be a valid checksum. */
export function readAddress(value: unknown, field: string): Address {
  const known = typeof value === 'string' ? addresses.get(value) : undefined
  if (known) return known
  if (!isAddressShape(value))
    throw new InvalidParamsError(field, `${describe(value)} is not an address (0x and 40 hex digits)`)
  const address = getAddress(value)
  const body = value.slice(2)
  if (address !== value && body !== body.toLowerCase() && body !== body.toUpperCase())
    throw new InvalidParamsError(field, `${value} has a wrong checksum; send it all lower-case or correctly checksummed`)
  if (addresses.size >= addressLimit) addresses.clear()
  addresses.set(value, address)
  return address
}

/** `value` as hex bytes of one of the given lengths. */
export function readHexBytes(value: unknown, field: string, lengths: readonly number[]): Hex {
  if (typeof value !== 'string' || !isHexBytes(value))
    throw new InvalidParamsError(field, `${describe(value)} is not 0x-prefixed hex bytes`)
  const length = (value.length - 2) / 2
  if (!lengths.includes(length))
    throw new InvalidParamsError(field, `is ${length} bytes; expected ${lengths.join(' or ')}`)
  return value.toLowerCase() as Hex
}

const decimal = /^(0|[1-9][0-9]*)$/
const hexQuantity = /^0x[0-9a-fA-F]+$/

/**
 * A non-negative integer quantity: a JSON number (safe integer), a bigint, a decimal
 * string or 0x-hex. Token amounts are this.
 */
export function readQuantity(value: unknown, field: string): bigint {
  if (value === undefined) throw new InvalidParamsError(field, 'is required (a non-negative integer)')
  if (typeof value === 'bigint' && value >= 0n) return value
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value)
  if (typeof value === 'string' && (hexQuantity.test(value) || decimal.test(value))) return BigInt(value)
  throw new InvalidParamsError(field, `${describe(value)} is not a non-negative integer (a number, a decimal string or 0x-hex)`)
}

/** A positive integer that fits a JS number (counts, seconds), given as a number or as hex/decimal. */
export function readPositiveInteger(value: unknown, field: string): number {
  // Hex (a send's chain id) straight to a number, not through a bigint: half the cost. A value
  // past 2^53 never rounds down to a safe integer, so the check below stays exact.
  const quantity = typeof value === 'string' && hexQuantity.test(value) ? Number(value) : Number(readQuantity(value, field))
  if (quantity === 0 || !Number.isSafeInteger(quantity))
    throw new InvalidParamsError(field, `must be a positive integer, got ${describe(value)}`)
  return quantity
}

/** A positive whole number of seconds, as a JSON number (an expiry, a duration). */
export function readSeconds(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0)
    throw new InvalidParamsError(field, `must be a positive whole number of seconds, got ${describe(value)}`)
  return value
}

/**
 * The expiry a wallet answered, in UNIX seconds: a positive safe integer, or -32602 (NaN,
 * Infinity, a fraction, a negative or a string would make a session that never expires or
 * that no clock compares). Absent, the wallet granted what was asked: `asked`.
 *
 * @example
 * readGrantedExpiry(answer.expiry, 'result.expiry', request.expiry)
 */
export function readGrantedExpiry(value: unknown, field: string, asked: number): number {
  return value === undefined ? asked : readSeconds(value, field)
}

/** A chain id as hex (`0x1`) or a number. */
export function readChainId(value: unknown, field: string): number {
  return readPositiveInteger(value, field)
}

/**
 * A short, safe rendering of a value for an error message (never a whole object, never a run of
 * more than 40 hex digits: a private key passed by mistake is not echoed, whole or cut).
 */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (typeof value === 'string') {
    // Redacted before it is cut, so no cut leaves most of a key behind.
    const safe = redactHex(value)
    return JSON.stringify(safe.length > 70 ? `${safe.slice(0, 67)}...` : safe)
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value)
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}

/**
 * EIP-712 typed data as `eth_signTypedData_v4` carries it: a JSON string (as MetaMask sends
 * it) or an object, with a `types` object.
 *
 * @example
 * const { domain, types, primaryType, message } = readTypedData(params[1], 'params[1]')
 */
export function readTypedData(value: unknown, field: string): Fields & { types: Fields } {
  let parsed: unknown = value
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value)
    } catch {
      throw new InvalidParamsError(field, 'is not JSON typed data')
    }
  }
  const typedData = readObject(parsed, field)
  return { ...typedData, types: readObject(typedData.types, `${field}.types`) }
}

/**
 * A wallet's answer to a list of grants: one object per request, in order.
 *
 * @example
 * readAnswers(result, requests.length).map((answer, i) => readString(answer.context, `result[${i}].context`))
 */
export function readAnswers(result: unknown, expected: number): Fields[] {
  const answers = readArray(result, 'result')
  if (answers.length !== expected) throw new InvalidParamsError('result', `the wallet answered ${answers.length} grants for ${expected} requests`)
  return answers.map((value, i) => readObject(value, `result[${i}]`))
}
