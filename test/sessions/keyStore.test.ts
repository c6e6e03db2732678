import { generatePrivateKey } from 'viem/accounts'
import { describe, expect, test, vi } from 'vitest'
import { memoryKeyStore } from '../../src/sessions/keyStore.js'

// Counts how often a key is turned into an account (a point multiplication each time).
const derived = vi.hoisted(() => ({ count: 0 }))
vi.mock('viem/accounts', async (original) => {
  const accounts = await original<typeof import('viem/accounts')>()
  return {
    ...accounts,
    privateKeyToAccount: (...args: Parameters<typeof accounts.privateKeyToAccount>) => {
      derived.count++
      return accounts.privateKeyToAccount(...args)
    },
  }
})

describe('memoryKeyStore', () => {
  test('behavior: a key is turned into an account once, when stored: every signer after is that account', async () => {
    const keys = memoryKeyStore()
    const before = derived.count
    const generated = await keys.generate()
    const imported = await keys.import(generatePrivateKey())
    expect(derived.count - before).toBe(2)
    const signer = await keys.signer(generated)
    expect(await keys.signer(generated.toLowerCase() as `0x${string}`)).toBe(signer)
    expect(signer?.address).toBe(generated)
    expect((await keys.signer(imported))?.address).toBe(imported)
    expect(derived.count - before).toBe(2)
  })

  test('behavior: a deleted key signs no more, under any spelling of its address', async () => {
    const keys = memoryKeyStore()
    const address = await keys.generate()
    await keys.delete(address.toLowerCase() as `0x${string}`)
    for (const spelling of [address, address.toLowerCase() as `0x${string}`]) {
      expect(await keys.signer(spelling)).toBeUndefined()
      expect(await keys.has(spelling)).toBe(false)
      expect(keys.holds(spelling)).toBe(false)
    }
  })
})
