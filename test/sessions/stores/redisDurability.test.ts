import { describe, expect, test } from 'vitest'
import { assertConfirmed, hasWaitAof, surveyNode, versionOf, waitCommand } from '../../../src/sessions/stores/redis/durability.js'
import { redisStore } from '../../../src/sessions/stores/redisStore.js'
import { rejection, rejectionOf } from '../../utils/rejection.js'
import { sessionFixture } from '../../utils/sessionFixture.js'

/** A Redis 7.2 primary with one replica, scripted: it answers what a put needs and notes every command. */
function scriptedRedis(config: unknown) {
  const sent: string[] = []
  const answers: Record<string, unknown> = { PING: 'PONG', GET: null, EVALSHA: 1, WAIT: 1, WAITAOF: [1, 1], CONFIG: config }
  const client = {
    async call(command: string, ...args: (string | number)[]): Promise<unknown> {
      sent.push(command)
      if (command === 'INFO') return args[0] === 'server' ? '# Server\r\nredis_version:7.2.4\r\n' : '# Replication\r\nrole:master\r\nconnected_slaves:1\r\n'
      return answers[command]
    },
  }
  return { client, sent }
}

describe('how a write is confirmed by replicas', () => {
  test('behavior: WAITAOF only where the server has it (Redis ≥ 7.2), else WAIT', () => {
    expect(['6.2.14', '7.0.15', '7.1.0', '7.2.0', '7.4.1', '8.0.0'].map((version) => hasWaitAof(versionOf(`# Server\r\nredis_version:${version}\r\n`)))).toStrictEqual([false, false, false, true, true, true])
    expect(waitCommand({ replicas: 1, timeout: 1000, waitAof: false, local: true })).toStrictEqual(['WAIT', 1, 1000])
    expect(waitCommand({ replicas: 2, timeout: 500, waitAof: true, local: true })).toStrictEqual(['WAITAOF', 1, 2, 500])
    expect(waitCommand({ replicas: 1, timeout: 500, waitAof: true, local: false })).toStrictEqual(['WAITAOF', 0, 1, 500])
  })

  test('error: a write fewer replicas confirmed than needed fails, saying it may not have reached them', () => {
    const wait = { replicas: 2, timeout: 1000, waitAof: false, local: true }
    expect(() => assertConfirmed(2, wait, 'redisStore shop', 'EVALSHA')).not.toThrow()
    expect(rejection(() => assertConfirmed(1, wait, 'redisStore shop', 'EVALSHA')).message).toBe(
      'redisStore shop: the primary applied the write (EVALSHA), but 1 of the 2 replicas it needs confirmed it within 1000 ms: it may not have reached the replicas, and a failover now could lose it',
    )
  })

  test("error: WAITAOF's answer that the primary's own append-only file does not have the write is a durability refusal", () => {
    const waitAof = { replicas: 1, timeout: 1000, waitAof: true, local: true }
    expect(() => assertConfirmed([1, 1], waitAof, 'redisStore shop', 'EVALSHA')).not.toThrow()
    expect(rejection(() => assertConfirmed([0, 1], waitAof, 'redisStore shop', 'EVALSHA')).message).toContain('the primary did not write it to its append-only file (WAITAOF)')
    expect(rejection(() => assertConfirmed([1, 0], waitAof, 'redisStore shop', 'EVALSHA')).message).toContain('0 of the 1 replicas')
  })

  test("behavior: WAITAOF only with durability 'aof' (it counts only replicas that write an append-only file); 'unchecked' waits with WAIT, whatever the version", async () => {
    const durable = scriptedRedis(['appendonly', 'yes', 'appendfsync', 'always'])
    await redisStore(durable.client, { plaintextKeys: true }).put(sessionFixture())
    expect(durable.sent.filter((command) => command.startsWith('WAIT'))).toStrictEqual(['WAITAOF'])
    const unchecked = scriptedRedis(undefined)
    await redisStore(unchecked.client, { plaintextKeys: true, durability: 'unchecked' }).put(sessionFixture())
    expect(unchecked.sent.filter((command) => command.startsWith('WAIT'))).toStrictEqual(['WAIT'])
    expect(unchecked.sent).not.toContain('CONFIG')
  })
})

describe("reading a server's persistence settings", () => {
  test('behavior: CONFIG GET is read in every shape a client gives it: a flat list (RESP2), a Map or a plain object (RESP3)', async () => {
    const settings = { appendonly: 'yes', appendfsync: 'always' }
    for (const reply of [Object.entries(settings).flat(), new Map(Object.entries(settings)), settings]) {
      const send = async (command: string, section?: string | number) => (command === 'CONFIG' ? reply : section === 'server' ? 'redis_version:7.0.15\r\n' : 'connected_slaves:0\r\n')
      expect((await surveyNode(send, 'redisStore shop', '127.0.0.1:6379', true)).config).toStrictEqual(settings)
    }
  })

  test('error: a plain-object CONFIG GET that shows the append-only file off is refused, naming what it found', async () => {
    const send = async (command: string, section?: string | number) => (command === 'CONFIG' ? { appendonly: 'no', appendfsync: 'everysec' } : section === 'server' ? 'redis_version:7.0.15\r\n' : '')
    expect((await rejectionOf(surveyNode(send, 'redisStore shop', '127.0.0.1:6379', true))).message).toContain('Redis 127.0.0.1:6379 has appendonly no, appendfsync everysec')
  })
})
