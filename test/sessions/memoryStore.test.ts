import { inspect } from 'node:util'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { verifyMessage } from 'viem'
import { describe, expect, test, vi } from 'vitest'
import { withSessionKeys } from '../../src/provider.js'
import { memoryStore } from '../../src/sessions/memoryStore.js'
import { scriptedPreparer } from '../utils/scriptedPreparer.js'
import { grantMint, now, scriptedWallet, sendMint } from '../utils/scriptedWallet.js'
import { sessionFixture } from '../utils/sessionFixture.js'

describe('sessions', () => {
  test('default: put, get and list round-trip a session', async () => {
    const store = memoryStore()
    const session = sessionFixture({ usage: { calls: 2, native: 5n, spent: { '0xtoken': 7n } } })
    await store.put(session)
    expect(await store.get(session.id)).toEqual(session)
    expect(await store.list()).toEqual([session])
    expect(await store.get('0xunknown')).toBeUndefined()
  })

  test('behavior: what get and list return is deeply frozen: writing to it throws and the store keeps what it had', async () => {
    const store = memoryStore()
    await store.put(sessionFixture({ usage: { calls: 0, native: 0n, spent: { '0xtoken': 1n } } }))
    const got = (await store.get('0xc0ffee'))!
    expect(() => (got.usage.calls = 99)).toThrow(TypeError)
    expect(() => ((got.usage.spent as Record<string, bigint>)['0xtoken'] = 5n)).toThrow(TypeError)
    expect(() => (got.permissions as unknown[]).push({ type: 'native-transfer', allowance: 1n })).toThrow(TypeError)
    expect(() => ((got.permissions[0] as unknown as { selectors: string[] }).selectors[0] = '0xffffffff')).toThrow(TypeError)
    expect(() => ((got.policies as unknown[])[0] = { type: 'call-limit', count: 1000 })).toThrow(TypeError)
    expect(() => ((got.signer as { address: string }).address = '0x0')).toThrow(TypeError)
    const [listed] = await store.list()
    expect(() => (listed!.status = 'revoked')).toThrow(TypeError)
    expect(await store.get('0xc0ffee')).toEqual(sessionFixture({ usage: { calls: 0, native: 0n, spent: { '0xtoken': 1n } } }))
  })

  test('behavior: reads hand out the stored session itself, and an update of its usage keeps its permissions and policies', async () => {
    const store = memoryStore()
    await store.put(sessionFixture())
    const got = (await store.get('0xc0ffee'))!
    expect(await store.get('0xc0ffee')).toBe(got)
    expect((await store.list())[0]).toBe(got)
    const updated = (await store.update('0xc0ffee', (s) => ({ ...s, usage: { ...s.usage, calls: 1 } })))!
    expect(updated).not.toBe(got)
    expect(updated.permissions).toBe(got.permissions)
    expect(updated.policies).toBe(got.policies)
    expect(updated.signer).toBe(got.signer)
    expect(Object.isFrozen(updated) && Object.isFrozen(updated.usage)).toBe(true)
  })

  test('behavior: bytes and dates in wallet data, which cannot be frozen, are copied: each read gets a fresh copy', async () => {
    const store = memoryStore()
    const walletData = { bytes: new Uint8Array([1, 2]), at: new Date(0), salt: 1n }
    await store.put(sessionFixture({ walletData }))
    walletData.bytes[0] = 9
    walletData.at.setTime(5)
    const got = (await store.get('0xc0ffee'))!
    ;(got.walletData!.bytes as Uint8Array)[1] = 9
    ;(got.walletData!.at as Date).setTime(7)
    const again = (await store.get('0xc0ffee'))!
    expect(again.walletData).toStrictEqual({ bytes: new Uint8Array([1, 2]), at: new Date(0), salt: 1n })
  })

  test('behavior: changing a session after put does not change the store', async () => {
    const store = memoryStore()
    const session = sessionFixture()
    await store.put(session)
    session.usage.calls = 5
    expect((await store.get(session.id))!.usage.calls).toBe(0)
  })

  test('error: put never replaces the session with the same id', async () => {
    const store = memoryStore()
    await store.put(sessionFixture())
    await expect(store.put(sessionFixture({ status: 'revoked' }))).rejects.toMatchObject({ code: -32603, data: { reason: 'duplicate' } })
    expect(await store.list()).toEqual([sessionFixture()])
  })

  test('error: put refuses a session whose key the store does not hold', async () => {
    const store = memoryStore()
    const keyAddress = privateKeyToAccount(generatePrivateKey()).address
    await expect(store.put(sessionFixture({ keyAddress }))).rejects.toMatchObject({
      code: -32603,
      message: 'session 0xc0ffee: its key is not in the store',
    })
    expect(await store.list()).toEqual([])
  })
})

describe('update', () => {
  test('default: applies the change and resolves to what is stored', async () => {
    const store = memoryStore()
    await store.put(sessionFixture())
    const updated = await store.update('0xc0ffee', (s) => ({ ...s, usage: { ...s.usage, calls: s.usage.calls + 1 } }))
    expect(updated!.usage.calls).toBe(1)
    expect(await store.get('0xc0ffee')).toEqual(updated)
  })

  test('behavior: 100 concurrent updates lose no write', async () => {
    const store = memoryStore()
    await store.put(sessionFixture())
    await Promise.all(
      Array.from({ length: 100 }, () =>
        store.update('0xc0ffee', (s) => ({ ...s, usage: { ...s.usage, calls: s.usage.calls + 1, native: s.usage.native + 2n } })),
      ),
    )
    const { usage } = (await store.get('0xc0ffee'))!
    expect(usage).toEqual({ calls: 100, native: 200n, spent: {} })
  })

  test('behavior: a change that returns undefined leaves the session as it is', async () => {
    const store = memoryStore()
    await store.put(sessionFixture())
    expect(await store.update('0xc0ffee', () => undefined)).toEqual(sessionFixture())
  })

  test('error: the change gets the frozen session: writing to it throws, the update rejects and nothing changes', async () => {
    const store = memoryStore()
    await store.put(sessionFixture())
    await expect(
      store.update('0xc0ffee', (s) => {
        s.usage.calls = 42
        return undefined
      }),
    ).rejects.toThrow(TypeError)
    expect((await store.get('0xc0ffee'))!.usage.calls).toBe(0)
  })

  test('behavior: an unknown id resolves to undefined without calling the change', async () => {
    const store = memoryStore()
    let called = false
    expect(await store.update('0xnone', (s) => ((called = true), s))).toBeUndefined()
    expect(called).toBe(false)
  })

  test('error: a change that throws rejects and leaves the session as it is', async () => {
    const store = memoryStore()
    await store.put(sessionFixture())
    await expect(
      store.update('0xc0ffee', () => {
        throw new Error('limit reached')
      }),
    ).rejects.toThrow('limit reached')
    expect(await store.get('0xc0ffee')).toEqual(sessionFixture())
  })

  test('error: a change may not move the session to another id', async () => {
    const store = memoryStore()
    await store.put(sessionFixture())
    await expect(store.update('0xc0ffee', (s) => ({ ...s, id: '0xother' }))).rejects.toMatchObject({
      code: -32603,
      message: "session 0xc0ffee: an update may not change the session's id",
    })
    expect(await store.get('0xother')).toBeUndefined()
  })
})

describe('delete', () => {
  test('default: deletes the session and its key', async () => {
    const store = memoryStore()
    const keyAddress = await store.keys.generate()
    await store.put(sessionFixture({ keyAddress }))
    await store.delete('0xc0ffee')
    expect(await store.get('0xc0ffee')).toBeUndefined()
    expect(await store.keys.has(keyAddress)).toBe(false)
  })

  test('behavior: keeps a key another stored session still uses (compared without case)', async () => {
    const store = memoryStore()
    const keyAddress = await store.keys.generate()
    await store.put(sessionFixture({ id: '0x01', keyAddress }))
    await store.put(sessionFixture({ id: '0x02', keyAddress: keyAddress.toLowerCase() as typeof keyAddress }))
    await store.delete('0x01')
    expect(await store.keys.has(keyAddress)).toBe(true)
    await store.delete('0x02')
    expect(await store.keys.has(keyAddress)).toBe(false)
  })

  test('behavior: deleting an unknown id does nothing', async () => {
    const store = memoryStore()
    await store.put(sessionFixture())
    await store.delete('0xnone')
    expect(await store.list()).toHaveLength(1)
  })
})

describe('keys', () => {
  test('default: import resolves to the key\'s address, and signer signs with it', async () => {
    const store = memoryStore()
    const privateKey = generatePrivateKey()
    const address = await store.keys.import(privateKey)
    expect(address).toBe(privateKeyToAccount(privateKey).address)
    const account = (await store.keys.signer(address))!
    expect(account.address).toBe(address)
    const signature = await account.signMessage({ message: 'keyleash' })
    expect(await verifyMessage({ address, message: 'keyleash', signature })).toBe(true)
  })

  test('behavior: has and signer ignore the address\'s case; signer is cached', async () => {
    const store = memoryStore()
    const address = await store.keys.generate()
    expect(await store.keys.has(address.toLowerCase() as typeof address)).toBe(true)
    const first = await store.keys.signer(address.toLowerCase() as typeof address)
    expect(await store.keys.signer(address)).toBe(first)
  })

  test('behavior: delete forgets the key and its signer', async () => {
    const store = memoryStore()
    const address = await store.keys.generate()
    await store.keys.signer(address)
    await store.keys.delete(address)
    expect(await store.keys.has(address)).toBe(false)
    expect(await store.keys.signer(address)).toBeUndefined()
  })

  test('behavior: no key shows in JSON.stringify or util.inspect of the store, its keys or a signer', async () => {
    const store = memoryStore()
    const privateKey = generatePrivateKey()
    const address = await store.keys.import(privateKey)
    await store.put(sessionFixture({ keyAddress: address }))
    const signer = await store.keys.signer(address)
    const hex = privateKey.slice(2).toLowerCase()
    for (const value of [store, store.keys, signer, await store.list()]) {
      expect(JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v)) ?? '').not.toContain(hex)
      expect(inspect(value, { depth: Infinity, showHidden: true, getters: true }).toLowerCase()).not.toContain(hex)
    }
  })

  test('error: an invalid key is refused without the key in the error', async () => {
    const store = memoryStore()
    const valid = generatePrivateKey()
    const cases = {
      short: valid.slice(0, 40),
      long: `${valid}ab`,
      notHex: `${valid.slice(0, 64)}zz`,
      zero: `0x${'0'.repeat(64)}`,
      order: '0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141',
    }
    const errors: Record<string, string> = {}
    for (const [name, key] of Object.entries(cases)) {
      const error = await store.keys.import(key as `0x${string}`).then(
        () => expect.unreachable(),
        (e: unknown) => e,
      )
      for (const text of [JSON.stringify(error), inspect(error, { showHidden: true }), String(error)])
        expect(text).not.toContain(key.slice(2, 42))
      errors[name] = `${(error as { code: number }).code} ${(error as Error).message}`
    }
    expect(errors).toMatchInlineSnapshot(`
      {
        "long": "-32602 privateKey: must be 32 bytes as 0x-prefixed hex",
        "notHex": "-32602 privateKey: must be 32 bytes as 0x-prefixed hex",
        "order": "-32602 privateKey: must be a valid secp256k1 private key (0 < key < n)",
        "short": "-32602 privateKey: must be 32 bytes as 0x-prefixed hex",
        "zero": "-32602 privateKey: must be a valid secp256k1 private key (0 < key < n)",
      }
    `)
  })
})

describe('the scope check over the memory store', () => {
  test('behavior: the permissions of a session are compiled once, then the cache hits on every later send', async () => {
    const preparer = scriptedPreparer()
    const provider = withSessionKeys(scriptedWallet('erc7715', preparer.script), { now: () => now })
    const context = await grantMint(provider, await provider.sessions.importKey(generatePrivateKey()))
    const send = () => sendMint(provider, context)
    // The scope cache is a WeakMap keyed by a session's permissions array: count what it is given to keep.
    const cached = vi.spyOn(WeakMap.prototype, 'set')
    try {
      for (let i = 0; i < 10; i++) await send()
      const compiled = cached.mock.calls.filter(([key]) => Array.isArray(key) && (key[0] as { type?: unknown } | undefined)?.type === 'contract-call')
      expect(compiled).toHaveLength(1)
    } finally {
      cached.mockRestore()
    }
    expect(preparer.sent).toHaveLength(10)
    expect((await provider.sessions.get(context))!.usage.calls).toBe(10)
  })
})
