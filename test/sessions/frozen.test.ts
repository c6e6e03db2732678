import { describe, expect, test } from 'vitest'
import { freezeOwned, frozenCopy, frozenReplace, handOut } from '../../src/sessions/frozen.js'
import { sessionFixture } from '../utils/sessionFixture.js'

function everyPartFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true
  return Object.isFrozen(value) && Object.values(value).every(everyPartFrozen)
}

describe('frozenCopy', () => {
  test('default: a deeply frozen copy, equal to what it was given, which stays as it was', () => {
    const session = sessionFixture({ usage: { calls: 1, native: 2n, spent: { '0xtoken': 3n } }, walletData: { nested: [{ a: 1 }] } })
    const copy = frozenCopy(session)
    expect(copy).toStrictEqual(session)
    expect(copy).not.toBe(session)
    expect(everyPartFrozen(copy)).toBe(true)
    expect(Object.isFrozen(session)).toBe(false)
  })

  test('behavior: a copy is handed out as it is, and a session replaced with new usage keeps every other part', () => {
    const copy = frozenCopy(sessionFixture())
    expect(handOut(copy)).toBe(copy)
    const next = frozenReplace(copy, { ...copy, usage: { ...copy.usage, calls: 1 } })
    expect(next.permissions).toBe(copy.permissions)
    expect(next.policies).toBe(copy.policies)
    expect(next.signer).toBe(copy.signer)
    expect(next.usage).not.toBe(copy.usage)
    expect(next.usage).toStrictEqual({ ...copy.usage, calls: 1 })
    expect(everyPartFrozen(next)).toBe(true)
  })

  test('behavior: a replacement is frozen where it is, every part it does not share with the session it replaces included', () => {
    const copy = frozenCopy(sessionFixture())
    const selectors: `0x${string}`[] = ['0x1249c58b']
    const permissions = [{ type: 'contract-call' as const, target: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' as const, selectors }]
    const changed = { ...copy, permissions }
    const next = frozenReplace(copy, changed)
    expect(next).toBe(changed)
    expect(everyPartFrozen(next)).toBe(true)
    expect(() => selectors.push('0xffffffff')).toThrow(TypeError)
  })

  test('behavior: a replacement frozen by someone else, or holding bytes, is copied instead', () => {
    const copy = frozenCopy(sessionFixture())
    const walletData = { nested: [{ a: 1 }] }
    const shallowFrozen = Object.freeze({ ...copy, walletData })
    const fromFrozen = frozenReplace(copy, shallowFrozen)
    expect(fromFrozen).not.toBe(shallowFrozen)
    expect(everyPartFrozen(fromFrozen)).toBe(true)
    walletData.nested.push({ a: 2 })
    expect(fromFrozen.walletData).toStrictEqual({ nested: [{ a: 1 }] })
    const withBytes = { ...copy, walletData: { bytes: new Uint8Array([1]) } }
    const fromBytes = frozenReplace(copy, withBytes)
    expect(fromBytes).not.toBe(withBytes)
    expect(handOut(fromBytes)).not.toBe(fromBytes)
  })

  test('behavior: a value nothing else holds is frozen where it is, not copied; one holding bytes is copied', () => {
    const decoded = sessionFixture({ walletData: { nested: [{ a: 1 }] } })
    expect(freezeOwned(decoded)).toBe(decoded)
    expect(everyPartFrozen(decoded)).toBe(true)
    const withBytes = sessionFixture({ walletData: { bytes: new Uint8Array([1]) } })
    const frozen = freezeOwned(withBytes)
    expect(frozen).not.toBe(withBytes)
    expect(handOut(frozen)).not.toBe(frozen)
  })

  test('behavior: something frozen by someone else is copied, since a part of it may still change', () => {
    const selectors: `0x${string}`[] = ['0x1249c58b']
    const permissions = Object.freeze([Object.freeze({ type: 'contract-call' as const, target: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' as const, selectors })])
    const copy = frozenCopy(permissions)
    selectors.push('0xffffffff')
    expect(copy).not.toBe(permissions)
    expect((copy[0] as { selectors: string[] }).selectors).toStrictEqual(['0x1249c58b'])
  })

  test('behavior: bytes and dates, which cannot be frozen, are copied on every call, with the objects that hold them', () => {
    const copy = frozenCopy({ data: { bytes: new Uint8Array([1]), at: new Date(0) }, plain: { a: 1 } })
    const again = handOut(copy)
    expect(again).not.toBe(copy)
    expect(again.data.bytes).not.toBe(copy.data.bytes)
    expect(again.data.at).not.toBe(copy.data.at)
    expect(again).toStrictEqual(copy)
    const replaced = frozenReplace(copy, { ...copy, plain: { a: 2 } })
    expect(handOut(replaced)).not.toBe(replaced)
    expect(handOut(replaced).data.bytes).not.toBe(copy.data.bytes)
  })

  test('behavior: an array is copied element by element, its holes and its bytes included, and frozen', () => {
    const copy = frozenCopy({ list: [{ a: 1 }, 'text', new Uint8Array([1]), , [2]] })
    expect(Object.isFrozen(copy.list) && Object.isFrozen(copy.list[0]) && Object.isFrozen(copy.list[4])).toBe(true)
    expect(copy.list).toHaveLength(5)
    expect(3 in copy.list).toBe(false)
    const again = handOut(copy)
    expect(again).not.toBe(copy)
    expect(again.list[2]).not.toBe(copy.list[2])
    expect(again).toStrictEqual(copy)
  })
})
