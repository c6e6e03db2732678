import { Redis } from 'ioredis'
import { afterAll, describe, expect, inject, test } from 'vitest'
import { redisStore } from '../../../src/sessions/stores/redisStore.js'
import { sessionFixture } from '../../utils/sessionFixture.js'
import { describeRedisContract, describeTwoInstances } from './redisSuites.js'

const url = inject('redisUrl')
const clients: Redis[] = []
function connect(): Redis {
  const client = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 })
  clients.push(client)
  return client
}
afterAll(async () => {
  await Promise.all(clients.map((client) => client.quit()))
})

let made = 0
const freshNamespace = () => `test-${process.pid}-${++made}`

describe.skipIf(url === '')('redisStore', () => {
  describeRedisContract('redisStore', connect, freshNamespace)

  test('behavior: a node-redis style client (sendCommand) works too, and a SCRIPT FLUSH is survived', async () => {
    const io = connect()
    const store = redisStore({ sendCommand: (args) => io.call(args[0]!, ...args.slice(1)) }, { plaintextKeys: true, namespace: freshNamespace() })
    await store.put(sessionFixture())
    await io.call('SCRIPT', 'FLUSH')
    expect((await store.update('0xc0ffee', (s) => ({ ...s, status: 'revoked' })))?.status).toBe('revoked')
  })

  test('behavior: a read is one round trip (the session and its tombstone in one MGET), an update two (no GET before its write when nothing wrote since the read)', async () => {
    const io = connect()
    const sent: string[] = []
    const store = redisStore({ call: (command: string, ...args: (string | number)[]) => (sent.push(command), io.call(command, ...args)) }, { plaintextKeys: true, namespace: freshNamespace() })
    await store.put(sessionFixture())
    await store.update('0xc0ffee', (s) => ({ ...s, status: 'active' })) // the store has checked its server's durability and loaded its scripts
    sent.length = 0
    expect((await store.get('0xc0ffee'))?.status).toBe('active')
    expect(sent).toStrictEqual(['MGET'])
    sent.length = 0
    expect((await store.update('0xc0ffee', (s) => ({ ...s, usage: { ...s.usage, calls: 1 } })))?.usage.calls).toBe(1)
    expect(sent).toStrictEqual(['MGET', 'EVALSHA'])
  })

  test('behavior: an update whose read another writer overtook reads again and applies on top of that write (no lost update), with no GET of its own: the refused write answers what is there now', async () => {
    const namespace = freshNamespace()
    const io = connect()
    const other = redisStore(connect(), { plaintextKeys: true, namespace })
    let overtake = false
    const sent: string[] = []
    // The other writer's update lands between this store's read and its write.
    const call = async (command: string, ...args: (string | number)[]) => {
      sent.push(command)
      if (overtake && command === 'EVALSHA') {
        overtake = false
        await other.update('0xc0ffee', (s) => ({ ...s, usage: { ...s.usage, calls: s.usage.calls + 10 } }))
      }
      return io.call(command, ...args)
    }
    const store = redisStore({ call }, { plaintextKeys: true, namespace })
    await store.put(sessionFixture())
    sent.length = 0
    overtake = true
    const updated = await store.update('0xc0ffee', (s) => ({ ...s, usage: { ...s.usage, calls: s.usage.calls + 1 } }))
    expect(overtake).toBe(false)
    expect(updated?.usage.calls).toBe(11)
    expect((await other.get('0xc0ffee'))?.usage.calls).toBe(11)
    expect(sent).toStrictEqual(['MGET', 'EVALSHA', 'MGET', 'EVALSHA'])
  })

  test('behavior: with a client that answers integers as strings (ioredis stringNumbers), an update is applied once', async () => {
    const io = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1, stringNumbers: true })
    clients.push(io)
    const store = redisStore(io, { plaintextKeys: true, namespace: freshNamespace() })
    await store.put(sessionFixture())
    let changes = 0
    const updated = await store.update('0xc0ffee', (s) => (changes++, { ...s, usage: { ...s.usage, calls: s.usage.calls + 1 } }))
    expect({ changes, calls: updated?.usage.calls }).toStrictEqual({ changes: 1, calls: 1 })
  })

  test('behavior: a put sent again after its reply was lost (as ioredis resends after a reconnection) is its own write, not a duplicate', async () => {
    const io = connect()
    let resend = false
    // The first reply of the put's script is lost, and the script sent again, as a client does after a reconnection.
    const call = async (command: string, ...args: (string | number)[]) => {
      if (resend && command.startsWith('EVAL')) {
        await io.call(command, ...args) // a script the server does not hold yet (NOSCRIPT) throws here, and is not resent
        resend = false
      }
      return io.call(command, ...args)
    }
    const store = redisStore({ call }, { plaintextKeys: true, namespace: freshNamespace() })
    resend = true
    await store.put(sessionFixture())
    expect(resend).toBe(false)
    expect((await store.get('0xc0ffee'))?.status).toBe('active')
    // A second put of its own is a duplicate, as ever.
    await expect(store.put(sessionFixture())).rejects.toMatchObject({ code: -32603 })
  })

  test('error: a client that is not one is refused', () => {
    expect(() => redisStore({} as never, { plaintextKeys: true })).toThrowErrorMatchingInlineSnapshot(`[InvalidParamsError: client: must be a connected Redis client: ioredis (\`call\`) or redis ≥ 4 (\`sendCommand\`)]`)
  })
})

describe.skipIf(url === '')('one Redis', () => describeTwoInstances('two withSessionKeys instances sharing one Redis', connect, freshNamespace))
