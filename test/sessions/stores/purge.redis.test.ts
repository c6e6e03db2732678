import { Redis } from 'ioredis'
import { afterAll, describe, expect, inject, test } from 'vitest'
import { bucketCount, redisLayout } from '../../../src/sessions/stores/redis/layout.js'
import { redisStore } from '../../../src/sessions/stores/redisStore.js'
import { sessionFixture } from '../../utils/sessionFixture.js'
import { valuesUnder } from './redisSuites.js'

const url = inject('redisUrl')
// One connection serves every test here: none of them needs a second instance.
const io = url === '' ? undefined : new Redis(url, { maxRetriesPerRequest: 1 })
afterAll(() => io?.quit())
const connect = () => io!
let made = 0
const freshNamespace = () => `purge-${process.pid}-${++made}`

/** Redis's clock, in unix seconds: what EXPIREAT is measured against. */
async function redisNow(client: Redis): Promise<number> {
  const [seconds] = (await client.call('TIME')) as [string, string]
  return Number(seconds)
}

describe.skipIf(url === '')('redisStore: entries that go on their own, and purge', () => {
  test('default: a session entry is deleted by Redis a day after its expiry (EXPIREAT); an update keeps that deadline, and its attempt ids go with it', async () => {
    const client = connect()
    const namespace = freshNamespace()
    const store = redisStore(client, { plaintextKeys: true, namespace })
    const expiry = (await redisNow(client)) + 600
    await store.put(sessionFixture({ expiry }))
    expect(await client.call('EXPIRETIME', redisLayout(namespace).session('0xc0ffee'))).toBe(expiry + 86_400)
    await store.update('0xc0ffee', (s) => ({ ...s, usage: { ...s.usage, calls: 1 } }))
    expect(await client.call('EXPIRETIME', redisLayout(namespace).session('0xc0ffee'))).toBe(expiry + 86_400)
    expect(await client.pttl(redisLayout(namespace).attempts('0xc0ffee'))).toBeGreaterThan(0)
  })

  test('error: keepExpired must be a whole number of seconds ≥ 0', () => {
    expect(() => redisStore(connect(), { plaintextKeys: true, keepExpired: -1 })).toThrowErrorMatchingInlineSnapshot(`[InvalidParamsError: keepExpired: must be a whole number of seconds ≥ 0]`)
  })

  test('behavior: a session stored already past its deadline gets none (EXPIREAT would delete it at once): it stays for purge', async () => {
    const client = connect()
    const namespace = freshNamespace()
    const store = redisStore(client, { plaintextKeys: true, namespace, keepExpired: 60, purgeMargin: 60 })
    await store.put(sessionFixture({ expiry: 1_700_000_000 }))
    expect(await client.call('EXPIRETIME', redisLayout(namespace).session('0xc0ffee'))).toBe(-1)
    expect((await store.get('0xc0ffee'))?.expiry).toBe(1_700_000_000)
    // Once its purgeMargin (60 s here) has passed too.
    expect(await store.purge(1_700_000_000 + 59)).toStrictEqual([])
    expect(await store.purge(1_700_000_000 + 60)).toStrictEqual(['0xc0ffee'])
  })

  test('behavior: once Redis deleted an expired entry (keepExpired: 0, purgeMargin: 0), list no longer sees it and its id leaves the index', async () => {
    const client = connect()
    const namespace = freshNamespace()
    const store = redisStore(client, { plaintextKeys: true, namespace, keepExpired: 0, purgeMargin: 0 })
    await store.put(sessionFixture({ id: '0x01', expiry: (await redisNow(client)) + 1 }))
    await store.put(sessionFixture({ id: '0x02', expiry: (await redisNow(client)) + 3600 }))
    for (let waited = 0; (await client.exists(redisLayout(namespace).session('0x01'))) === 1 && waited < 5000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100))
    expect((await store.list()).map((s) => s.id)).toStrictEqual(['0x02'])
    expect(await client.smembers(redisLayout(namespace).sessionIndex('0x01'))).not.toContain('0x01')
  })

  test('behavior: purging 2,000 revoked sessions sharing a key sends one command per session and a few listings (one read per bucket each), not a listing per session', async () => {
    let sent = 0
    const client = { call: (command: string, ...args: (string | number)[]) => ((sent += 1), connect().call(command, ...args)) }
    const store = redisStore(client, { plaintextKeys: true, namespace: freshNamespace() })
    const key = await store.keys.generate()
    for (let i = 0; i < 2_000; i += 100)
      await Promise.all(Array.from({ length: 100 }, (_, j) => store.put(sessionFixture({ id: `0x${(i + j).toString(16)}`, keyAddress: key, status: 'revoked' }))))
    sent = 0
    expect(await store.purge()).toHaveLength(2_000)
    expect(sent).toBeLessThanOrEqual(2_000 + 4 * bucketCount + 10)
    expect(await store.list()).toStrictEqual([])
    expect(await store.keys.has(key)).toBe(false)
  })
})

describe.skipIf(url === '')('redisStore: what purge leaves', () => {
  test('behavior: purging a revoked session leaves only its tombstone (no attempt list of its settling), and once past its margin, nothing', async () => {
    const client = connect()
    const namespace = freshNamespace()
    const layout = redisLayout(namespace)
    const store = redisStore(client, { plaintextKeys: true, namespace, purgeMargin: 60 })
    const expiry = (await redisNow(client)) + 600
    await store.put(sessionFixture({ expiry }))
    await store.update('0xc0ffee', (s) => ({ ...s, usage: { ...s.usage, calls: 1 } }))
    await store.update('0xc0ffee', (s) => ({ ...s, status: 'revoked' }))
    // The revoke settled its tombstone with a compare-and-set, which keeps its attempt id.
    expect(await client.type(layout.attempts('\u0000revoked/0xc0ffee'))).toBe('list')
    expect(await store.purge()).toStrictEqual(['0xc0ffee'])
    const left = (await valuesUnder(client, namespace)).split('\n').map((line) => line.slice(0, line.indexOf(' ')))
    expect(left.sort()).toStrictEqual([layout.sessionIndex('0xc0ffee'), layout.session('\u0000revoked/0xc0ffee')].sort())
    expect(await store.get('0xc0ffee')).toBeUndefined()
    // Still there: the id stays taken.
    await expect(store.put(sessionFixture({ expiry }))).rejects.toMatchObject({ code: -32603, message: expect.stringContaining('0xc0ffee') })
    expect(await store.purge(expiry + 60)).toStrictEqual([])
    expect(await valuesUnder(client, namespace)).toBe('')
  })
})
