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

  test('error: a client that is not one is refused', () => {
    expect(() => redisStore({} as never, { plaintextKeys: true })).toThrowErrorMatchingInlineSnapshot(`[InvalidParamsError: client: must be a connected Redis client: ioredis (\`call\`) or redis ≥ 4 (\`sendCommand\`)]`)
  })
})

describe.skipIf(url === '')('one Redis', () => describeTwoInstances('two withSessionKeys instances sharing one Redis', connect, freshNamespace))
