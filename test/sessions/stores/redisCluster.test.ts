import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Cluster } from 'ioredis'
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import { redisLayout, slotOf } from '../../../src/sessions/stores/redis/layout.js'
import { redisStore } from '../../../src/sessions/stores/redisStore.js'
import { sessionFixture } from '../../utils/sessionFixture.js'
import { rejectionOf } from '../../utils/rejection.js'
import { clusterOk, replicating, startCluster, type TestCluster } from '../../setup/redis.js'
import { describeRedisContract, describeTwoInstances, encryptionKey, twoInstances, valuesUnder } from './redisSuites.js'

/*
 * The Redis store on a real Redis Cluster of 3 masters and 3 replicas on 127.0.0.1, started
 * once for this file, used through a plain ioredis `Cluster` client.
 */

const available = inject('redisUrl') !== ''
const root = mkdtempSync(join(tmpdir(), 'keyleash-redis-cluster-'))
let cluster: TestCluster | undefined
const clients: Cluster[] = []
beforeAll(async () => {
  if (available) cluster = await startCluster(root)
}, 60_000)
afterAll(async () => {
  clients.forEach((client) => client.disconnect())
  await cluster?.stop()
  rmSync(root, { recursive: true, force: true })
})

function connect(): Cluster {
  const client = new Cluster([{ host: '127.0.0.1', port: cluster!.ports[0]! }], { redisOptions: { maxRetriesPerRequest: 1 } })
  clients.push(client)
  return client
}

let made = 0
const plain = () => `shop-${++made}`
const tagged = () => `{shop-${++made}}`

describe.runIf(available)('redisStore on a Redis Cluster (3 masters, 3 replicas)', () => {
  describeRedisContract('with an untagged namespace', connect, plain)
  describeRedisContract('with a namespace of one hash tag', connect, tagged)
  describeTwoInstances('two app instances, untagged namespace', connect, plain)
  describeTwoInstances('two app instances, a namespace of one hash tag', connect, tagged)

  test('behavior: the default namespace works end to end: grant, send, list, revoke, refusal', async () => {
    const { a, b, context, send } = await twoInstances(connect, 3, {})
    expect(await send(b)).toHaveProperty('id')
    expect((await a.sessions.list()).map((session) => session.id)).toContain(context)
    await b.sessions.revoke(context)
    await expect(send(a)).rejects.toMatchObject({ code: 4100 })
  })

  test('behavior: sessions spread over every master (each holds at least a sixth of 300)', async () => {
    const client = connect()
    const namespace = plain()
    const store = redisStore(client, { plaintextKeys: true, namespace })
    await Promise.all(Array.from({ length: 300 }, (_, i) => store.put(sessionFixture({ id: `0x${i.toString(16)}` }))))
    const perMaster = await Promise.all(client.nodes('master').map(async (node) => (await node.keys(`${namespace}:*:s:*`)).length))
    expect(perMaster.reduce((a, b) => a + b)).toBe(300)
    expect(Math.min(...perMaster)).toBeGreaterThanOrEqual(50)
  })

  test('behavior: every key one operation touches is in one slot, whatever the namespace', () => {
    for (const namespace of ['keyleash', 'shop', '{shop}', 'a}b', 'x{y}z/c1']) {
      const layout = redisLayout(namespace)
      for (const id of ['0x01', '0xc0ffee', '\u0000revoked/0x01']) {
        expect(new Set([layout.session(id), layout.attempts(id), layout.sessionIndex(id)].map(slotOf)).size).toBe(1)
        expect(new Set([layout.key(id), layout.keyIndex(id)].map(slotOf)).size).toBe(1)
      }
      // A tombstone shares its session's slot: a revoke's two entries can be reached in one step.
      expect(slotOf(layout.session('\u0000revoked/0xc0ffee'))).toBe(slotOf(layout.session('0xc0ffee')))
    }
  })

  test('error: a namespace whose "{" has no "}" after it is refused (its keys would scatter over slots)', () => {
    expect(() => redisStore(connect(), { plaintextKeys: true, namespace: 'a{b' })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: namespace: "a{b" has a "{" without a closing "}" after it: Redis Cluster would hash the store's keys to different slots; use a full hash tag such as "{shop}", or no braces]`,
    )
  })

  test('behavior: purge and reseal reach every session and key on every master', async () => {
    const client = connect()
    for (const namespace of [plain(), tagged()]) {
      const oldKey = crypto.getRandomValues(new Uint8Array(32))
      const before = redisStore(client, { encryptionKey: oldKey, namespace })
      const keys = await Promise.all(Array.from({ length: 12 }, () => before.keys.generate()))
      await Promise.all(keys.map((keyAddress, i) => before.put(sessionFixture({ id: `0x${i.toString(16)}`, keyAddress }))))
      const rotated = { encryptionKey, previousEncryptionKeys: [oldKey], namespace }
      expect(await redisStore(client, rotated).reseal()).toStrictEqual({ resealed: 24, unreadable: [] })
      // Without the old key, every session and key still opens: none was left behind on a master.
      const after = redisStore(client, { encryptionKey, namespace })
      expect(await after.list()).toHaveLength(12)
      expect(await Promise.all(keys.map(async (key) => (await after.keys.signer(key))?.address))).toStrictEqual(keys)
      for (let i = 0; i < 12; i++) await after.update(`0x${i.toString(16)}`, (session) => ({ ...session, status: 'revoked' }))
      expect(await after.purge(undefined, { keyGrace: 0 })).toHaveLength(12)
      // What is left are the tombstones of the revoked sessions (until their expiry); no session, no key.
      expect(await valuesUnder(client, namespace)).not.toMatch(/:s:0x|:k:0x/)
    }
  })

  test('behavior: a node that does not know the scripts (SCRIPT FLUSH on every master) runs them by text', async () => {
    const client = connect()
    const store = redisStore(client, { plaintextKeys: true, namespace: plain() })
    await store.put(sessionFixture())
    await Promise.all(client.nodes('master').map((node) => node.call('SCRIPT', 'FLUSH')))
    expect((await store.update('0xc0ffee', (s) => ({ ...s, status: 'revoked' })))?.status).toBe('revoked')
  })

  test('error: the durability of every node is checked, replicas included', async () => {
    const client = connect()
    await client.ping() // the client knows its nodes once it is connected
    const replica = client.nodes('slave')[0]!
    await replica.call('CONFIG', 'SET', 'appendfsync', 'everysec')
    try {
      const error = await rejectionOf(redisStore(client, { plaintextKeys: true, namespace: plain() }).put(sessionFixture()))
      expect(error.code).toBe(-32603)
      expect(error.message).toContain(`Redis ${replica.options.host}:${replica.options.port} has appendonly yes, appendfsync everysec`)
    } finally {
      await replica.call('CONFIG', 'SET', 'appendfsync', 'always')
    }
  })

  test('behavior: a write is acknowledged once a replica holds it; with the replica stalled, it fails closed saying so', async () => {
    const client = connect()
    const store = redisStore(client, { plaintextKeys: true, namespace: plain(), replicaTimeout: 300 })
    await store.put(sessionFixture())
    // The replica of the master that holds this session, paused (shorter than the cluster's node timeout).
    const owner = client.slots[slotOf(redisLayout(`shop-${made}`).session('0xc0ffee'))]!
    const replicaPort = Number(owner[1]!.split(':')[1])
    const replica = cluster!.servers.get(replicaPort)!
    replica.kill('SIGSTOP')
    try {
      const error = await rejectionOf(store.update('0xc0ffee', (s) => ({ ...s, usage: { ...s.usage, calls: 1 } })))
      expect({ code: error.code, message: error.message }).toStrictEqual({
        code: -32603,
        message: `redisStore shop-${made}: the primary applied the write (EVALSHA), but 0 of the 1 replicas it needs confirmed it within 300 ms: it may not have reached the replicas, and a failover now could lose it`,
      })
    } finally {
      replica.kill('SIGCONT')
    }
    // Applied on the primary all the same: the reservation stays counted, never the reverse.
    expect((await store.get('0xc0ffee'))?.usage.calls).toBe(1)
  })

  // Last: it leaves the cluster with another layout of masters.
  test('behavior: a master killed under traffic: what fails meanwhile is a coded -32603, never a client text; nothing acknowledged is lost', async () => {
    const client = connect()
    client.on('error', () => {})
    const namespace = plain()
    const store = redisStore(client, { plaintextKeys: true, namespace, timeout: 3000, replicaTimeout: 500 })
    const ids = Array.from({ length: 30 }, (_, i) => `0x${(i + 1).toString(16)}`)
    await Promise.all(ids.map((id) => store.put(sessionFixture({ id }))))
    const acknowledged = new Map(ids.map((id) => [id, 0]))
    const errors: { code: number; message: string }[] = []
    let running = true
    const traffic = Promise.all(
      ids.map(async (id) => {
        while (running) {
          try {
            await store.update(id, (s) => ({ ...s, usage: { ...s.usage, calls: s.usage.calls + 1 } }))
            acknowledged.set(id, acknowledged.get(id)! + 1)
          } catch (error) {
            errors.push({ code: (error as { code: number }).code, message: (error as Error).message })
            await new Promise((resolve) => setTimeout(resolve, 50))
          }
        }
      }),
    )
    await new Promise((resolve) => setTimeout(resolve, 500))
    const victim = Number(client.slots[slotOf(redisLayout(namespace).session(ids[0]!))]![0]!.split(':')[1])
    const killed = cluster!.servers.get(victim)!
    const exited = new Promise((resolve) => killed.once('exit', resolve))
    killed.kill('SIGKILL')
    await exited
    // Its replica takes over; then the old master comes back as the new one's replica, and writes to those slots can be confirmed again.
    for (const port of cluster!.ports) if (port !== victim) await clusterOk(port)
    await cluster!.restart(victim)
    await clusterOk(victim)
    await replicating(victim)
    await new Promise((resolve) => setTimeout(resolve, 1000))
    running = false
    await traffic
    expect(errors.length).toBeGreaterThan(0)
    expect(errors.filter((error) => error.code !== -32603 || /MOVED|ASK|CLUSTERDOWN|redirections|ECONNREFUSED|Connection is closed/.test(error.message))).toStrictEqual([])
    // Every acknowledged count is there (a write that failed may be counted too: never fewer, sometimes more).
    const reader = redisStore(connect(), { plaintextKeys: true, namespace })
    for (const id of ids) expect((await reader.get(id))!.usage.calls).toBeGreaterThanOrEqual(acknowledged.get(id)!)
    // After the failover, sends go through again.
    expect(await store.update(ids[0]!, (s) => s)).toBeDefined()
  }, 60_000)
})
