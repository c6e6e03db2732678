import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net'
import { describe, expect, inject, test } from 'vitest'
import { freePort } from '../../../src/devwallet/chain.js'
import { redisStore } from '../../../src/sessions/stores/redisStore.js'
import type { Session } from '../../../src/sessions/types.js'
import { redisLab } from '../../setup/redisLab.js'
import { rejectionOf } from '../../utils/rejection.js'
import { sessionFixture } from '../../utils/sessionFixture.js'

/*
 * The Redis store under faults, each with a real redis-server of its own (killed, paused,
 * restarted) or behind a proxy on 127.0.0.1 that drops a connection at the worst moment.
 */

const available = inject('redisUrl') !== ''
const lab = redisLab('faults', { maxRetriesPerRequest: 1 })
const server = (persistence: 'aof' | 'snapshots' = 'aof') => lab.server({ persistence })
const client = (port: number, options = {}) => lab.client(port, options)

const addCall = (session: Session): Session => ({ ...session, usage: { ...session.usage, calls: session.usage.calls + 1 } })

describe.runIf(available)('redisStore under faults', () => {
  test('behavior: a compare-and-set whose reply is lost with the connection, and that the client sends again, counts once', async () => {
    const redis = await server()
    const proxy = await droppingProxy(redis.port)
    try {
      // ioredis re-sends what was unanswered when the connection drops (autoResendUnfulfilledCommands).
      const store = redisStore(client(proxy.port, { maxRetriesPerRequest: 20 }), { plaintextKeys: true })
      await store.put(sessionFixture())
      // Once, so that Redis knows the script: the next update is one GET and one EVALSHA.
      await store.update('0xc0ffee', addCall)
      proxy.dropReplyTo('EVALSHA')
      expect((await store.update('0xc0ffee', addCall))?.usage.calls).toBe(2)
      expect(proxy.dropped).toBe(1)
      const direct = redisStore(client(redis.port), { plaintextKeys: true })
      expect((await direct.get('0xc0ffee'))?.usage.calls).toBe(2)
    } finally {
      await proxy.close()
    }
  })

  test('behavior: with AOF (appendfsync always), a revoke and the usage before it survive a crash and a restart', async () => {
    const redis = await server('aof')
    const store = redisStore(client(redis.port), { plaintextKeys: true })
    await store.put(sessionFixture())
    for (let i = 0; i < 5; i++) await store.update('0xc0ffee', addCall)
    await store.update('0xc0ffee', (session) => ({ ...session, status: 'revoked' }))
    const exited = new Promise((resolve) => redis.process.once('exit', resolve))
    redis.process.kill('SIGKILL')
    await exited
    await redis.restart()
    const after = await redisStore(client(redis.port), { plaintextKeys: true }).get('0xc0ffee')
    expect({ status: after?.status, calls: after?.usage.calls }).toStrictEqual({ status: 'revoked', calls: 5 })
  })

  test('error: a Redis that keeps only snapshots (its default) is refused on first use: a crash would revive revoked sessions', async () => {
    const redis = await server('snapshots')
    const store = redisStore(client(redis.port), { plaintextKeys: true })
    expect(await rejectionOf(store.put(sessionFixture()))).toMatchInlineSnapshot(`
      {
        "code": -32603,
        "data": {
          "hint": "run redis-server with --appendonly yes --appendfsync always (or CONFIG SET both)",
        },
        "message": "redisStore keyleash: Redis must write every command to disk before it answers (appendonly yes, appendfsync always); it has appendonly no, appendfsync everysec. A crash would restore an older snapshot: revoked sessions active again, their usage reset. If the server persists every write some other way, pass durability: 'unchecked'",
      }
    `)
    // The app that vouches for its server's durability may say so.
    await redisStore(client(redis.port), { plaintextKeys: true, durability: 'unchecked' }).put(sessionFixture())
  })

  test('error: a server switched to appendonly no at run time refuses the next usage write and revoke before acknowledging them; a kill -9 then loses nothing acknowledged', async () => {
    const redis = await server('aof')
    const store = redisStore(client(redis.port), { plaintextKeys: true })
    await store.put(sessionFixture())
    await store.update('0xc0ffee', addCall)
    await client(redis.port).call('CONFIG', 'SET', 'appendonly', 'no')
    const refused = await rejectionOf(store.update('0xc0ffee', addCall))
    expect(refused).toMatchInlineSnapshot(`
      {
        "code": -32603,
        "data": {
          "hint": "run redis-server with --appendonly yes --appendfsync always (or CONFIG SET both)",
        },
        "message": "redisStore keyleash: Redis must write every command to disk before it answers (appendonly yes, appendfsync always); the node that was to write has the append-only file off (changed at run time, or a new primary); nothing was written. A crash would restore an older snapshot: revoked sessions active again, their usage reset. If the server persists every write some other way, pass durability: 'unchecked'",
      }
    `)
    // The refusal made the store check the server again: the revoke is refused by that check.
    expect((await rejectionOf(store.update('0xc0ffee', (session) => ({ ...session, status: 'revoked' })))).message).toContain('it has appendonly no, appendfsync always')
    const exited = new Promise((resolve) => redis.process.once('exit', resolve))
    redis.process.kill('SIGKILL')
    await exited
    await redis.restart()
    // What was acknowledged is there; what was refused never was: the app knows the revoke did not happen.
    const after = await redisStore(client(redis.port), { plaintextKeys: true }).get('0xc0ffee')
    expect({ status: after?.status, calls: after?.usage.calls }).toStrictEqual({ status: 'active', calls: 1 })
  })

  test('error: a paused server makes a command fail at its deadline with a -32603, and nothing is counted', async () => {
    const redis = await server()
    const store = redisStore(client(redis.port, { maxRetriesPerRequest: 0 }), { plaintextKeys: true, timeout: 300 })
    await store.put(sessionFixture())
    redis.process.kill('SIGSTOP')
    try {
      const error = await rejectionOf(store.update('0xc0ffee', addCall))
      expect({ code: error.code, message: error.message }).toStrictEqual({ code: -32603, message: 'redisStore keyleash: Redis did not answer MGET within 300 ms' })
    } finally {
      redis.process.kill('SIGCONT')
    }
    expect((await store.get('0xc0ffee'))?.usage.calls).toBe(0)
  })
})

/**
 * A TCP proxy to Redis on 127.0.0.1 that, once armed, forwards the next command containing
 * `marker` and then closes the client's connection instead of forwarding Redis's reply: the
 * command ran, the client never heard.
 */
async function droppingProxy(target: number) {
  let armed: string | undefined
  let dropped = 0
  const sockets = new Set<Socket>()
  const proxy: Server = createServer((downstream) => {
    const upstream = tcpConnect(target, '127.0.0.1')
    sockets.add(downstream).add(upstream)
    let dropNext = false
    downstream.on('data', (chunk) => {
      if (armed !== undefined && chunk.includes(armed)) {
        armed = undefined
        dropNext = true
      }
      upstream.write(chunk)
    })
    upstream.on('data', (chunk) => {
      if (!dropNext) return void downstream.write(chunk)
      dropped++
      downstream.destroy()
      upstream.destroy()
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
  return {
    port,
    get dropped() {
      return dropped
    },
    dropReplyTo(marker: string) {
      armed = marker
    },
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((socket) => socket.destroy())
        proxy.close(() => resolve())
      }),
  }
}
