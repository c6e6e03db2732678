import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net'
import type { Redis } from 'ioredis'
import { describe, expect, inject, test } from 'vitest'
import { freePort } from '../../../src/devwallet/chain.js'
import { redisStore, type RedisStoreOptions } from '../../../src/sessions/stores/redisStore.js'
import type { Session } from '../../../src/sessions/types.js'
import { redisLab } from '../../setup/redisLab.js'
import { sessionFixture } from '../../utils/sessionFixture.js'

/*
 * A primary and its replica, real servers on 127.0.0.1. The replica reaches the primary
 * through a proxy that holds the replication stream back 50 ms: killing the primary and the
 * proxy together loses what is in flight, as a host that dies does (a process that dies
 * alone lets the kernel send what it had written).
 */

const available = inject('redisUrl') !== ''
const lab = redisLab('replica')
const server = (extra: string[] = []) => lab.server({ extra })
const client = (port: number) => lab.client(port)

async function linkUp(replica: Redis): Promise<void> {
  for (let waited = 0; waited < 10_000; waited += 50) {
    if (String(await replica.call('INFO', 'replication')).includes('master_link_status:up')) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error('the replica did not link up within 10 s')
}

const revoke = (session: Session): Session => ({ ...session, status: 'revoked' })
const addCall = (session: Session): Session => ({ ...session, usage: { ...session.usage, calls: session.usage.calls + 1 } })

/**
 * Writes `work` (session ids, one update each: `change`), 30 at a time, on a primary whose
 * replica is `lag` ms behind; after the 150th acknowledged write, the primary's host dies. The
 * replica is then promoted. Resolves to the acknowledged writes per id, the promoted replica's
 * sessions, and the errors the writes cut off got.
 */
async function writesThroughAHostCrash(options: RedisStoreOptions, ids: string[], work: string[], change: (session: Session) => Session, lag = 50) {
  const primary = await server()
  const proxy = await delayingProxy(primary.port, lag)
  const replica = await server(['--replicaof', '127.0.0.1', String(proxy.port)])
  await linkUp(client(replica.port))
  const store = redisStore(client(primary.port), { plaintextKeys: true, ...options })
  await Promise.all(ids.map((id) => store.put(sessionFixture({ id }))))
  // Every session is on the replica before the writes start.
  await client(primary.port).call('WAIT', 1, 5000)
  const acknowledged = new Map(ids.map((id) => [id, 0]))
  let total = 0
  const errors: { code: number; message: string }[] = []
  let crashed: Promise<void> | undefined
  const crash = async () => {
    const exited = new Promise((resolve) => primary.process.once('exit', resolve))
    primary.process.kill('SIGKILL')
    proxy.cut()
    await exited
  }
  let next = 0
  await Promise.all(
    Array.from({ length: 30 }, async () => {
      while (next < work.length && crashed === undefined) {
        const id = work[next++]!
        try {
          await store.update(id, change)
          acknowledged.set(id, acknowledged.get(id)! + 1)
          if (++total === 150) crashed = crash()
        } catch (error) {
          errors.push({ code: (error as { code: number }).code, message: (error as Error).message })
        }
      }
    }),
  )
  await crashed
  const promoted = client(replica.port)
  await promoted.call('REPLICAOF', 'NO', 'ONE')
  const after = redisStore(promoted, { plaintextKeys: true, ...options, replicas: 0 })
  const sessions = new Map<string, Session | undefined>()
  for (const id of ids) sessions.set(id, await after.get(id))
  await proxy.close()
  return { total, acknowledged, sessions, errors }
}

const sessionIds = (count: number) => Array.from({ length: count }, (_, i) => `0x${(i + 1).toString(16)}`)

/** 300 sessions, each revoked once: the acknowledged revokes the promoted replica does not have. */
async function revokesThroughAHostCrash(options: RedisStoreOptions, lag?: number) {
  const ids = sessionIds(300)
  const { total, acknowledged, sessions, errors } = await writesThroughAHostCrash(options, ids, ids, revoke, lag)
  const lost = ids.filter((id) => acknowledged.get(id)! > 0 && sessions.get(id)?.status !== 'revoked')
  return { total, lost, errors }
}

describe.runIf(available)('redisStore on a primary with a replica', () => {
  test('behavior: a primary with a replica is waited for by default: a host crash 50 ms ahead of its replica loses no acknowledged revoke', async () => {
    const { total, lost, errors } = await revokesThroughAHostCrash({})
    expect(total).toBeGreaterThanOrEqual(150)
    expect(lost).toStrictEqual([])
    // What was cut off mid-way answered a coded error, never a client's own text.
    expect(errors.every((error) => error.code === -32603 && !/MOVED|CLUSTERDOWN|Connection is closed/.test(error.message))).toBe(true)
  }, 30_000)

  test('behavior: the wait is WAIT on this Redis 7.0 (WAITAOF needs 7.2), on a connection of its own, and a GET is not held up by it', async () => {
    const primary = await server()
    const proxy = await delayingProxy(primary.port, 1000)
    const replica = await server(['--replicaof', '127.0.0.1', String(proxy.port)])
    await linkUp(client(replica.port))
    const redis = client(primary.port)
    const store = redisStore(redis, { plaintextKeys: true, replicaTimeout: 4000 })
    await store.put(sessionFixture())
    const version = String(await redis.call('INFO', 'server')).match(/redis_version:(\d+)\.(\d+)/)!
    const waited = String(await redis.call('INFO', 'commandstats'))
    expect(waited.includes('cmdstat_waitaof:')).toBe(Number(version[1]) > 7 || (Number(version[1]) === 7 && Number(version[2]) >= 2))
    expect(waited.includes('cmdstat_wait:')).toBe(!waited.includes('cmdstat_waitaof:'))
    // A write waits ~1 s for the replica; a read on the store's shared connection meanwhile does not.
    const writing = store.update('0xc0ffee', revoke)
    const started = performance.now()
    await store.get('0xc0ffee')
    const read = performance.now() - started
    await writing
    expect(read).toBeLessThan(700)
    await proxy.close()
  })

  test('behavior: no acknowledged count is lost either: 30 sessions counting calls through the same crash keep at least every acknowledged call', async () => {
    const ids = sessionIds(30)
    const work = Array.from({ length: 20 }, () => ids).flat()
    const { total, acknowledged, sessions } = await writesThroughAHostCrash({}, ids, work, addCall)
    expect(total).toBeGreaterThanOrEqual(150)
    // A count lost would let a session sign over its limit; one refused after it was applied only counts a call never signed.
    expect(ids.filter((id) => (sessions.get(id)?.usage.calls ?? 0) < acknowledged.get(id)!)).toStrictEqual([])
  }, 30_000)

  test('control: without waiting (replicas: 0), the same crash loses acknowledged revokes', async () => {
    // 300 ms behind rather than 50: on a loaded machine this process may be slower to read a reply than 50 ms.
    const { lost } = await revokesThroughAHostCrash({ replicas: 0 }, 300)
    expect(lost.length).toBeGreaterThan(0)
  }, 30_000)
})

/**
 * A TCP proxy on 127.0.0.1 to `target` that holds back what the target sends by `delay` ms.
 * `cut()` drops every connection and whatever it still holds back.
 */
async function delayingProxy(target: number, delay: number) {
  const sockets = new Set<Socket>()
  const held = new Set<ReturnType<typeof setTimeout>>()
  const proxy: Server = createServer((downstream) => {
    const upstream = tcpConnect(target, '127.0.0.1')
    sockets.add(downstream).add(upstream)
    downstream.on('data', (chunk) => upstream.write(chunk))
    upstream.on('data', (chunk) => {
      const timer = setTimeout(() => {
        held.delete(timer)
        downstream.write(chunk)
      }, delay)
      held.add(timer)
    })
    const end = () => {
      downstream.destroy()
      upstream.destroy()
    }
    downstream.on('close', end).on('error', end)
    upstream.on('close', end).on('error', end)
  })
  const port = await freePort()
  await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve))
  const cut = () => {
    held.forEach(clearTimeout)
    held.clear()
    sockets.forEach((socket) => socket.destroy())
  }
  return {
    port,
    cut,
    close: () =>
      new Promise<void>((resolve) => {
        cut()
        proxy.close(() => resolve())
      }),
  }
}
