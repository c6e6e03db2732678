import { describe, expect, test } from 'vitest'
import { callsIds } from '../../src/execution/callsIds.js'

describe('callsIds', () => {
  test('default: an id added is found with its chain; one never added is not', () => {
    const ids = callsIds()
    ids.add('0xaa', 1)
    expect(ids.chainOf('0xaa')).toBe(1)
    expect(ids.chainOf('0xbb')).toBeUndefined()
  })

  test('behavior: past its limit the oldest id is forgotten first (then the wallet is asked about it)', () => {
    const ids = callsIds(2)
    ids.add('0x01', 1)
    ids.add('0x02', 2)
    ids.add('0x01', 1) // used again: now the newest
    ids.add('0x03', 3)
    expect([ids.chainOf('0x01'), ids.chainOf('0x02'), ids.chainOf('0x03')]).toStrictEqual([1, undefined, 3])
  })
})
