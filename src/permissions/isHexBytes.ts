import type { Hex } from 'viem'

/**
 * Whether `value` is hex of whole bytes (`0x` and an even number of hex digits; `0x` is no
 * bytes): calldata, a signature, a hash. viem's `isHex(value, { even: true })` without the new
 * RegExp object it makes on every call, which a send paid several times.
 *
 * @example
 * isHexBytes('0x1249c58b') // true
 * isHexBytes('0x123') // false
 */
export function isHexBytes(value: string): value is Hex {
  return value.length % 2 === 0 && hexDigits.test(value)
}
const hexDigits = /^0x[0-9a-fA-F]*$/
