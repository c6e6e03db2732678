import { describe, expect, test } from 'vitest'
import { sessionWith } from '../../src/sessions/sessionWith.js'
import type { Session } from '../../src/sessions/types.js'
import { accounts, sessionFixture } from '../utils/sessionFixture.js'

// `Required`: a field added to Session fails the type check here until it is filled in, and then
// the tests below until sessionWith carries it over.
const full: Required<Session> = {
  ...sessionFixture(),
  keyAddress: accounts[1],
  adjustmentAllowed: true,
  walletData: { factory: accounts[0], factoryData: '0x' },
  signing: { hashes: true },
}
const usage = { calls: 3, native: 7n, spent: { [accounts[1].toLowerCase()]: 2n } }

describe('sessionWith', () => {
  test('default: a session with every field, its usage replaced, equals the spread', () => {
    expect(sessionWith(full, { usage })).toStrictEqual({ ...full, usage })
  })

  test('behavior: a status change keeps every other field, the very same parts', () => {
    const next = sessionWith(full, { status: 'revoked' })
    expect(next).toStrictEqual({ ...full, status: 'revoked' })
    expect(next.permissions).toBe(full.permissions)
    expect(next.usage).toBe(full.usage)
  })

  test('behavior: an optional field absent stays absent, one set to undefined stays there', () => {
    const bare = sessionFixture()
    expect(Object.keys(sessionWith(bare, { usage })).sort()).toStrictEqual(Object.keys(bare).sort())
    expect(sessionWith({ ...bare, keyAddress: undefined }, { usage })).toStrictEqual({ ...bare, keyAddress: undefined, usage })
  })

  test('behavior: the session given is not changed', () => {
    const before = structuredClone(full)
    sessionWith(full, { usage, status: 'revoked' })
    expect(full).toStrictEqual(before)
  })
})
