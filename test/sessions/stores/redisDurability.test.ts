import { describe, expect, test } from 'vitest'
import { assertConfirmed, hasWaitAof, versionOf, waitCommand } from '../../../src/sessions/stores/redis/durability.js'
import { rejection } from '../../utils/rejection.js'

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
})
