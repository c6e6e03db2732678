import { describe, expect, test } from 'vitest'
import { readChainId, readPositiveInteger } from '../../src/permissions/read.js'

describe('readPositiveInteger', () => {
  test('behavior: hex, decimal, a JSON number and a bigint read to the same number, up to 2^53 - 1', () => {
    for (const value of ['0x1fffffffffffff', '0x1FFFFFFFFFFFFF', '9007199254740991', Number.MAX_SAFE_INTEGER, 2n ** 53n - 1n]) expect(readPositiveInteger(value, 'n')).toBe(Number.MAX_SAFE_INTEGER)
    expect(readChainId('0x7a69', 'chainId')).toBe(31337)
  })

  test('error: zero, and anything past 2^53 - 1 however close or far, is refused with the field named', () => {
    for (const value of ['0x0', '0x00', 0, 0n, '0x20000000000000', '0x20000000000001', '9007199254740992', 2n ** 53n, `0x${'f'.repeat(300)}`])
      expect(() => readPositiveInteger(value, 'params[0].chainId')).toThrow(/^params\[0\]\.chainId: must be a positive integer, got /)
  })

  test('error: what is not a non-negative integer is refused as such', () => {
    for (const value of ['0x', '0X1', ' 0x1', '0x1 ', '1e3', '', '-1', 1.5, -1, null, '0xg'])
      expect(() => readPositiveInteger(value, 'n')).toThrow(/^n: .* is not a non-negative integer/)
  })
})
