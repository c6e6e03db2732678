import { Hmac } from 'node:crypto'
import { inspect } from 'node:util'
import { verifyMessage, type Address } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { describe, expect, test, vi } from 'vitest'
import { purgeSessions } from '../../../src/sessions/stores/purge.js'
import { encodeSession } from '../../../src/sessions/stores/serialize.js'
import type { Session, SessionStore } from '../../../src/sessions/types.js'
import { accounts, sessionFixture } from '../../utils/sessionFixture.js'
import { enforcedBy } from '../../../src/permissions/enforcement.js'
import { openfort } from '../../../src/wallets/openfort.js'

/** A store under test, and what the contract needs to look behind it. */
export type StoreHarness = {
  store: SessionStore
  /** Another store on the same data: a reload, a second process or tab. */
  reopen?: (() => SessionStore) | undefined
  /** Everything the store keeps at rest, as text (files, Redis values, storage items). */
  atRest?: (() => Promise<string>) | undefined
  /** Damages the stored entry of session `id` (truncates it). */
  damage?: ((id: string) => Promise<void>) | undefined
  /**
   * The stored entries as they are at rest, to read and overwrite: what someone with write
   * access to the storage (but not the encryptionKey) can do. `name` is a session's id or a
   * key's lower-case address.
   */
  raw?: { get(kind: 'session' | 'key', name: string): Promise<string | undefined>; set(kind: 'session' | 'key', name: string, value: string): Promise<void> } | undefined
  /** What the store reported through `onError`. */
  errors: unknown[]
  close?: (() => Promise<void>) | undefined
}

const [account, other] = accounts
const token = '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512' as Address

/** Sessions that, together, set every field and every variant a stored session can have. */
export function everyKindOfSession(keyAddress?: Address): Session[] {
  return [
    sessionFixture({
      id: '0x01',
      keyAddress,
      permissions: [
        { type: 'contract-call', target: other, selectors: ['0x1249c58b', '0xa9059cbb'] },
        { type: 'contract-call', target: token, selectors: 'any' },
        { type: 'native-transfer', allowance: 10n ** 30n },
        { type: 'erc20-transfer', token, allowance: 2n ** 255n },
        { type: 'custom', name: 'session-gas', data: { limit: 5n, nested: [1, 'a', null, { $t: 'not-a-tag' }], gone: undefined }, required: false },
      ],
      policies: [
        { type: 'call-limit', count: 10 },
        { type: 'rate-limit', count: 3, interval: 60 },
        { type: 'gas-limit', limit: 123_456_789_012_345_678_901n },
      ],
      usage: { calls: 7, native: 5n * 10n ** 18n, spent: { [token.toLowerCase()]: 42n, '0x00000000000000000000000000000000000000aa': 0n } },
      walletData: { factory: other, factoryData: '0xdeadbeef', delegationManager: token, dependencies: [{ factory: other, salt: 1n }], bytes: new Uint8Array([0, 1, 255]) },
    }),
    sessionFixture({ id: '0x02', status: 'revoked', signer: { type: 'key', key: { keyType: 'secp256r1', publicKey: '0x04aa' } }, wallet: 'erc7715-2025' }),
    sessionFixture({
      id: 'ses_3',
      chainId: 8453,
      account: other,
      signer: { type: 'keys', keys: [{ keyType: 'secp256k1', publicKey: '0x02bb' }, { keyType: 'ed25519', publicKey: '0xcc' }] },
      wallet: 'openfort',
      enforcedBy: enforcedBy(openfort.enforces),
      keyAddress: undefined,
      walletData: undefined,
      expiry: 1_700_000_000,
    }),
    sessionFixture({ id: '0x04', signer: { type: 'wallet' }, wallet: 'execution-permissions', permissions: [], policies: [], createdAt: 0 }),
  ]
}

/**
 * The contract every {@link SessionStore} keeps, run against the memory store and every
 * persistent one. `make` returns a fresh, empty store each time.
 */
/**
 * `persistent: false` (the memory store) leaves out what only stored bytes can suffer: a
 * damaged entry. Every persistent store must provide `damage` and pass it.
 */
export function describeStoreContract(name: string, make: () => Promise<StoreHarness>, { persistent = true }: { persistent?: boolean } = {}): void {
  async function withHarness(run: (harness: StoreHarness) => Promise<void>): Promise<void> {
    const harness = await make()
    try {
      await run(harness)
    } finally {
      await harness.close?.()
    }
  }

  describe(`${name}: the store contract`, () => {
    test('default: every field of every kind of session round-trips exactly', () =>
      withHarness(async ({ store, reopen }) => {
        const keyAddress = await store.keys.generate()
        const sessions = everyKindOfSession(keyAddress)
        for (const session of sessions) await store.put(session)
        for (const session of sessions) expect(await store.get(session.id)).toStrictEqual(session)
        const byId = (list: Session[]) => [...list].sort((a, b) => a.id.localeCompare(b.id))
        expect(byId(await store.list())).toStrictEqual(byId(sessions))
        if (reopen) expect(byId(await reopen().list())).toStrictEqual(byId(sessions))
      }))

    test('behavior: what get and list return cannot be changed (frozen, or copies), and a session changed after put changes nothing', () =>
      withHarness(async ({ store }) => {
        const session = sessionFixture()
        await store.put(session)
        session.usage.calls = 5
        const got = (await store.get(session.id))!
        attempt(() => (got.usage.calls = 99))
        attempt(() => (got.permissions as unknown[]).push({ type: 'native-transfer', allowance: 1n }))
        const [listed] = await store.list()
        attempt(() => (listed!.status = 'revoked'))
        expect(await store.get(session.id)).toStrictEqual(sessionFixture())
      }))

    test('error: put never replaces: an id already stored is refused (-32603, duplicate) and the stored session keeps its key; unknown ids are undefined', () =>
      withHarness(async ({ store, reopen }) => {
        const keyAddress = await store.keys.generate()
        await store.put(sessionFixture({ keyAddress }))
        const intruder = sessionFixture({ keyAddress: await store.keys.generate(), expiry: 4_000_000_000, usage: { calls: 0, native: 0n, spent: {} } })
        for (const s of reopen ? [store, reopen()] : [store])
          await expect(s.put(intruder)).rejects.toMatchObject({
            code: -32603,
            message: 'session 0xc0ffee: a session with this id is already stored, and put never replaces one',
            data: { context: '0xc0ffee', reason: 'duplicate' },
          })
        // Nor does a refused duplicate that says revoked revoke the session stored under its id.
        await expect(store.put({ ...intruder, status: 'revoked' })).rejects.toMatchObject({ data: { reason: 'duplicate' } })
        expect(await store.list()).toStrictEqual([sessionFixture({ keyAddress })])
        expect(await store.keys.has(keyAddress)).toBe(true)
        expect(await store.get('0xunknown')).toBeUndefined()
      }))

    test('behavior: of 20 concurrent puts of one id (across two instances where the store has them), exactly one is stored', () =>
      withHarness(async ({ store, reopen }) => {
        const stores = [store, reopen?.() ?? store]
        const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => stores[i % 2]!.put(sessionFixture({ createdAt: i }))))
        const stored = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []))
        expect(stored).toHaveLength(1)
        expect((await store.get('0xc0ffee'))?.createdAt).toBe(stored[0])
      }))

    test('error: put refuses a session whose key the store does not hold', () =>
      withHarness(async ({ store }) => {
        const keyAddress = privateKeyToAccount(generatePrivateKey()).address
        await expect(store.put(sessionFixture({ keyAddress }))).rejects.toMatchObject({ code: -32603, message: 'session 0xc0ffee: its key is not in the store' })
        expect(await store.list()).toStrictEqual([])
      }))

    test('behavior: 100 concurrent updates lose no write (split across two instances where the store has them)', () =>
      withHarness(async ({ store, reopen }) => {
        await store.put(sessionFixture())
        const stores = [store, reopen?.() ?? store]
        await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            stores[i % 2]!.update('0xc0ffee', (s) => ({ ...s, usage: { ...s.usage, calls: s.usage.calls + 1, native: s.usage.native + 2n } })),
          ),
        )
        expect((await store.get('0xc0ffee'))!.usage).toStrictEqual({ calls: 100, native: 200n, spent: {} })
      }))

    test('behavior: a call limit of 7 is never exceeded under 100 concurrent reservations', () =>
      withHarness(async ({ store, reopen }) => {
        await store.put(sessionFixture())
        const stores = [store, reopen?.() ?? store]
        let reserved = 0
        await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            stores[i % 2]!.update('0xc0ffee', (s) => (s.usage.calls >= 7 ? undefined : { ...s, usage: { ...s.usage, calls: s.usage.calls + 1 } })).then((s) => {
              if (s) reserved++
            }),
          ),
        )
        expect(reserved).toBe(100)
        expect((await store.get('0xc0ffee'))!.usage.calls).toBe(7)
      }))

    test('behavior: update resolves to what is stored; undefined leaves it; a mutated copy changes nothing; unknown id skips the change', () =>
      withHarness(async ({ store }) => {
        await store.put(sessionFixture())
        const updated = await store.update('0xc0ffee', (s) => ({ ...s, usage: { ...s.usage, spent: { [token]: 3n } } }))
        expect(updated).toStrictEqual(await store.get('0xc0ffee'))
        expect(
          await store.update('0xc0ffee', (s) => {
            attempt(() => (s.usage.calls = 42))
            return undefined
          }),
        ).toStrictEqual(updated)
        let called = false
        expect(await store.update('0xnone', (s) => ((called = true), s))).toBeUndefined()
        expect(called).toBe(false)
      }))

    test('error: a change that throws, or moves the id, rejects and leaves the session as it is', () =>
      withHarness(async ({ store }) => {
        await store.put(sessionFixture())
        const boom = () => {
          throw new Error('limit reached')
        }
        await expect(store.update('0xc0ffee', boom)).rejects.toThrow('limit reached')
        await expect(store.update('0xc0ffee', (s) => ({ ...s, id: '0xother' }))).rejects.toMatchObject({
          code: -32603,
          message: "session 0xc0ffee: an update may not change the session's id",
        })
        expect(await store.get('0xc0ffee')).toStrictEqual(sessionFixture())
        expect(await store.get('0xother')).toBeUndefined()
      }))

    test('behavior: delete takes the key with the last session that uses it', () =>
      withHarness(async ({ store }) => {
        const keyAddress = await store.keys.generate()
        await store.put(sessionFixture({ id: '0x01', keyAddress }))
        await store.put(sessionFixture({ id: '0x02', keyAddress: keyAddress.toLowerCase() as Address }))
        await store.delete('0x01')
        expect(await store.keys.has(keyAddress)).toBe(true)
        await store.delete('0x02')
        await store.delete('0xnone')
        expect(await store.keys.has(keyAddress)).toBe(false)
        expect(await store.keys.signer(keyAddress)).toBeUndefined()
      }))

    test('behavior: purge deletes revoked sessions, and sessions expired a day ago (the default purgeMargin), and their keys; it keeps a key a live session shares', () =>
      withHarness(async ({ store }) => {
        const now = 1_800_000_000
        const day = 86_400
        const [gone, shared] = [await store.keys.generate(), await store.keys.generate()]
        await store.put(sessionFixture({ id: '0xexpired', expiry: now - day, keyAddress: gone }))
        await store.put(sessionFixture({ id: '0xrevoked', status: 'revoked', keyAddress: shared }))
        await store.put(sessionFixture({ id: '0xlive', expiry: now + 1, keyAddress: shared }))
        expect((await purgeSessions(store, now)).sort()).toStrictEqual(['0xexpired', '0xrevoked'])
        expect((await store.list()).map((s) => s.id)).toStrictEqual(['0xlive'])
        expect(await store.keys.has(gone)).toBe(false)
        expect(await store.keys.has(shared)).toBe(true)
      }))

    test('default: a stored key signs (also from a reopened store); has and signer ignore case', () =>
      withHarness(async ({ store, reopen }) => {
        const address = await store.keys.import(generatePrivateKey())
        for (const s of reopen ? [store, reopen()] : [store]) {
          expect(await s.keys.has(address.toLowerCase() as Address)).toBe(true)
          const account = (await s.keys.signer(address.toLowerCase() as Address))!
          expect(account.address).toBe(address)
          const signature = await account.signMessage({ message: 'keyleash' })
          expect(await verifyMessage({ address, message: 'keyleash', signature })).toBe(true)
        }
      }))

    test('behavior: a key deleted through one instance stops signing through another at once', () =>
      withHarness(async ({ store, reopen }) => {
        const address = await store.keys.generate()
        const second = reopen?.() ?? store
        expect(await second.keys.signer(address)).toBeDefined()
        await store.keys.delete(address)
        expect(await second.keys.signer(address)).toBeUndefined()
      }))

    test('behavior: no private key at rest, nor in JSON or util.inspect of the store, its keys or a signer', () =>
      withHarness(async ({ store, atRest }) => {
        const privateKey = generatePrivateKey()
        const address = await store.keys.import(privateKey)
        await store.put(sessionFixture({ keyAddress: address }))
        const signer = await store.keys.signer(address)
        const forms = keyForms(privateKey)
        const texts = [store, store.keys, signer, await store.list()].flatMap((value) => [
          JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v)) ?? '',
          inspect(value, { depth: Infinity, showHidden: true, getters: true }),
        ])
        if (atRest) texts.push(await atRest())
        for (const text of texts) for (const form of forms) expect(text.toLowerCase()).not.toContain(form)
        if (atRest) expect((await atRest()).toLowerCase()).toContain(address.slice(2).toLowerCase()) // the scan does look at the right place
      }))

    test('error: an invalid key is refused, coded, without the key in the error', () =>
      withHarness(async ({ store }) => {
        const key = `${generatePrivateKey()}ab`
        const error = await store.keys.import(key as `0x${string}`).then(
          () => expect.unreachable(),
          (e: unknown) => e,
        )
        expect(error).toMatchObject({ code: -32602, message: 'privateKey: must be 32 bytes as 0x-prefixed hex' })
        expect(JSON.stringify(error) + inspect(error, { showHidden: true })).not.toContain(key.slice(2, 42))
      }))

    test('behavior: no write to any part of a session got from the store (permissions, policies, usage, signer, wallet data) reaches the store', () =>
      withHarness(async ({ store }) => {
        const keyAddress = await store.keys.generate()
        for (const session of everyKindOfSession(keyAddress)) await store.put(session)
        for (const session of everyKindOfSession(keyAddress)) {
          const got = (await store.get(session.id))!
          tamper(got)
          const [listed] = (await store.list()).filter((s) => s.id === session.id)
          tamper(listed!)
          expect(await store.get(session.id)).toStrictEqual(session)
        }
      }))

    test('behavior: a session the caller changes in any part after put, or after returning it from update, leaves the store as it was written', () =>
      withHarness(async ({ store }) => {
        const keyAddress = await store.keys.generate()
        for (const session of everyKindOfSession(keyAddress)) {
          const put = structuredClone(session)
          await store.put(put)
          tamper(put)
          expect(await store.get(session.id)).toStrictEqual(session)
          let returned: Session | undefined
          await store.update(session.id, (s) => (returned = { ...structuredClone(s), usage: { ...s.usage, calls: 1 } }))
          tamper(returned!)
          expect(await store.get(session.id)).toStrictEqual({ ...session, usage: { ...session.usage, calls: 1 } })
        }
      }))

    if (persistent) {
      test('error: a damaged entry is reported and skipped, and every other session stays usable', async () => {
        const harness = await make()
        try {
          const { store, damage, errors } = harness
          if (!damage) throw new Error(`${name}: a persistent store's harness must say how to damage an entry`)
          for (const id of ['0x01', '0x02', '0x03']) await store.put(sessionFixture({ id }))
          await damage('0x02')
          expect((await store.list()).map((s) => s.id).sort()).toStrictEqual(['0x01', '0x03'])
          expect(await store.get('0x02')).toBeUndefined()
          expect(errors).toHaveLength(1)
          expect(errors[0]).toMatchObject({ code: -32603, data: { entry: 'session 0x02' } })
          expect((await store.update('0x03', (s) => ({ ...s, status: 'revoked' })))?.status).toBe('revoked')
          await expect(store.update('0x02', (s) => s)).rejects.toMatchObject({ code: -32603, message: 'session 0x02: its stored entry is damaged and cannot be updated' })
          await store.put(sessionFixture({ id: '0x04' }))
          expect((await store.list()).map((s) => s.id).sort()).toStrictEqual(['0x01', '0x03', '0x04'])
        } finally {
          await harness.close?.()
        }
      })

      test('behavior: purge deletes a key no session uses (a grant the wallet never answered) once older than keyGrace, never a younger one nor a used one', () =>
        withHarness(async ({ store }) => {
          const { purge } = store as SessionStore & { purge?: (now?: number, options?: { keyGrace?: number }) => Promise<string[]> }
          if (typeof purge !== 'function') throw new Error(`${name}: a persistent store has purge`)
          const at = Math.floor(Date.now() / 1000)
          const [orphan, used] = [await store.keys.generate(), await store.keys.generate()]
          await store.put(sessionFixture({ keyAddress: used, expiry: at + 7_200 }))
          expect(await purge(at + 60)).toStrictEqual([])
          expect(await store.keys.has(orphan)).toBe(true)
          expect(await purge(at + 3_660)).toStrictEqual([])
          expect(await store.keys.has(orphan)).toBe(false)
          expect(await store.keys.has(used)).toBe(true)
        }))

      // Every persistent store here has an encryption key (given, or the browser's own): at
      // rest, what it wrote is authenticated, and an attacker who can write to the storage
      // but lacks the key can delete, not forge.
      describe('an attacker with write access to the storage, without the encryptionKey', () => {
        function withRaw(run: (harness: StoreHarness & { raw: NonNullable<StoreHarness['raw']> }) => Promise<void>) {
          return withHarness(async (harness) => {
            if (!harness.raw) throw new Error(`${name}: a persistent store's harness must give raw access to its entries`)
            await run({ ...harness, raw: harness.raw })
          })
        }
        const edit = (value: string, change: (record: { session: Record<string, any> }) => void) => {
          const record = JSON.parse(value) as { session: Record<string, any> }
          change(record)
          return JSON.stringify(record)
        }

        test('error: a record edited at rest (usage reset, selectors widened, expiry extended) is refused, reported, and only it', () =>
          withRaw(async ({ store, raw, errors }) => {
            const limited = sessionFixture({ id: '0x01', usage: { calls: 7, native: 0n, spent: {} }, permissions: [{ type: 'contract-call', target: other, selectors: ['0x6a627842'] }] })
            await store.put(limited)
            await store.put(sessionFixture({ id: '0x02' }))
            await raw.set('session', '0x01', edit((await raw.get('session', '0x01'))!, ({ session }) => {
              session.usage.calls = 0
              session.permissions[0].selectors = 'any'
              session.expiry = 4_000_000_000
            }))
            expect(await store.get('0x01')).toBeUndefined()
            expect((await store.list()).map((s) => s.id)).toStrictEqual(['0x02'])
            await expect(store.update('0x01', (s) => s)).rejects.toMatchObject({ code: -32603 })
            expect(errors[0]).toMatchObject({
              code: -32603,
              message: expect.stringMatching(/skipped session 0x01: the entry fails its authentication tag: it was altered, or written under another id or encryptionKey$/),
              data: { entry: 'session 0x01' },
            })
            expect(await store.get('0x02')).toStrictEqual(sessionFixture({ id: '0x02' }))
          }))

        test('behavior: a record is authenticated when its text is new, not on every read; one edited after it was read is refused', () =>
          withRaw(async ({ store, raw }) => {
            await store.put(sessionFixture({ id: '0x01' }))
            expect(await store.get('0x01')).toStrictEqual(sessionFixture({ id: '0x01' }))
            // Browser stores verify with WebCrypto, Node's with node:crypto's HMAC (recordAuth.ts): either counts.
            const webCrypto = vi.spyOn(crypto.subtle, 'verify')
            const node = vi.spyOn(Hmac.prototype, 'digest')
            const verifications = () => webCrypto.mock.calls.length + node.mock.calls.length
            try {
              for (let i = 0; i < 5; i++) expect((await store.get('0x01'))?.id).toBe('0x01')
              expect(verifications()).toBe(0)
              await raw.set('session', '0x01', edit((await raw.get('session', '0x01'))!, ({ session }) => {
                session.expiry = 4_000_000_000
              }))
              expect(await store.get('0x01')).toBeUndefined()
              expect(verifications()).toBeGreaterThan(0)
            } finally {
              webCrypto.mockRestore()
              node.mockRestore()
            }
          }))

        test('error: a record copied under another id, or written without the key, is refused', () =>
          withRaw(async ({ store, raw }) => {
            await store.put(sessionFixture({ id: '0x01' }))
            await raw.set('session', '0x02', (await raw.get('session', '0x01'))!.replace('"id":"0x01"', '"id":"0x02"'))
            await raw.set('session', '0x03', encodeSession(sessionFixture({ id: '0x03' })))
            expect((await store.list()).map((s) => s.id)).toStrictEqual(['0x01'])
            expect(await store.get('0x02')).toBeUndefined()
            expect(await store.get('0x03')).toBeUndefined()
          }))

        test('error: a copy of the record from before the revoke, put back, does not bring the session back', () =>
          withRaw(async ({ store, raw, errors, reopen }) => {
            await store.put(sessionFixture({ id: '0x01' }))
            const beforeRevoke = (await raw.get('session', '0x01'))!
            await store.update('0x01', (s) => ({ ...s, status: 'revoked' }))
            await raw.set('session', '0x01', beforeRevoke)
            for (const s of reopen ? [store, reopen()] : [store]) {
              expect((await s.get('0x01'))?.status).toBe('revoked')
              expect((await s.list()).map((session) => session.status)).toStrictEqual(['revoked'])
              expect((await s.update('0x01', (session) => ({ ...session, usage: { ...session.usage, calls: 1 } })))?.status).toBe('revoked')
            }
            expect(errors[0]).toMatchObject({ message: expect.stringContaining('its record says active, but it was revoked') })
            // Its id is never stored again, even once its record is gone.
            await store.delete('0x01')
            await expect(store.put(sessionFixture({ id: '0x01' }))).rejects.toMatchObject({ code: -32603, data: { reason: 'duplicate' } })
          }))

        test('error: a plaintext key planted at rest is never used: the store has an encryptionKey', () =>
          withRaw(async ({ store, raw, errors }) => {
            const privateKey = generatePrivateKey()
            const address = privateKeyToAccount(privateKey).address
            await store.keys.generate() // the store is in use: its storage exists
            await raw.set('key', address.toLowerCase(), JSON.stringify({ v: 1, alg: 'none', key: privateKey }))
            expect(await store.keys.signer(address)).toBeUndefined()
            expect(errors[0]).toMatchObject({
              message: expect.stringContaining(`the key of ${address} is stored in plaintext, but the store has an encryptionKey: refused, as a key planted at rest would be`),
              data: { entry: `key ${address}` },
            })
            expect(JSON.stringify(errors) + String(errors)).not.toContain(privateKey.slice(2))
          }))
      })
    }
  })
}

/**
 * Runs a write to a session a store handed out: a frozen session refuses it (a TypeError in
 * strict mode, which test modules are), a copy takes it; either way the store must not change.
 */
function attempt(write: () => unknown): void {
  try {
    write()
  } catch (error) {
    if (!(error instanceof TypeError)) throw error
  }
}

/** Writes to every part of a session a caller could reach; each write may throw (frozen) or land (a copy). */
function tamper(session: Session): void {
  const writes: (() => unknown)[] = [
    () => (session.status = session.status === 'active' ? 'revoked' : 'active'),
    () => (session.expiry += 1),
    () => (session.usage.calls += 1),
    () => (session.usage.native += 1n),
    () => ((session.usage.spent as Record<string, bigint>)['0x00000000000000000000000000000000000000bb'] = 1n),
    () => (session.permissions as unknown[]).push({ type: 'native-transfer', allowance: 1n }),
    () => (session.policies as unknown[]).push({ type: 'call-limit', count: 1 }),
    () => ((session.signer as { type: string }).type = 'wallet'),
    ...session.permissions.map((permission) => () => {
      if (permission.type === 'contract-call' && Array.isArray(permission.selectors)) (permission.selectors as string[]).push('0xffffffff')
      if (permission.type === 'native-transfer' || permission.type === 'erc20-transfer') (permission as { allowance: bigint }).allowance += 1n
      if (permission.type === 'custom') (permission.data as Record<string, unknown>).limit = 0n
    }),
    ...session.policies.map((policy) => () => ((policy as { type: string }).type = 'gas-limit')),
    () => {
      const data = session.walletData as Record<string, unknown> | undefined
      if (!data) return
      data.factory = '0x0000000000000000000000000000000000000000'
      if (data.bytes instanceof Uint8Array) data.bytes[0] = 7
      ;(data.dependencies as Record<string, unknown>[] | undefined)?.push({})
    },
  ]
  for (const write of writes) attempt(write)
}

/** The ways a key could be written down: hex, and base64 of its bytes. */
function keyForms(privateKey: `0x${string}`): string[] {
  const hex = privateKey.slice(2).toLowerCase()
  return [hex, Buffer.from(hex, 'hex').toString('base64').toLowerCase(), Buffer.from(hex, 'hex').toString('base64url').toLowerCase()]
}
