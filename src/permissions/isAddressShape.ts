import type { Address } from 'viem'

/**
 * An address's shape, checksum or not: viem's `isAddress(value, { strict: false })` without its
 * cache's bookkeeping, which costs more than the test on the hot path.
 *
 * @example
 * isAddressShape('0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266') // true
 */
export function isAddressShape(value: unknown): value is Address {
  return typeof value === 'string' && addressShape.test(value)
}
const addressShape = /^0x[0-9a-fA-F]{40}$/
