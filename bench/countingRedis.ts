import { Redis } from 'ioredis'
import startRedis from '../test/setup/redis.js'

/** A Redis client for `redisStore` that counts the commands it sends (each one a round trip). */
export type CountingRedis = {
  call(command: string, ...args: (string | number)[]): Promise<unknown>
  /** Commands sent so far. */
  sent(): number
}

/**
 * Runs `task` with a client of a throwaway redis-server (started as the test suite starts
 * one, with the persistence the Redis store requires), then stops it. Without `redis-server`
 * on PATH, prints that `what` is skipped and how to install it.
 *
 * @example
 * await withCountingRedis('Redis round trips', async (client) => { … client.sent() … })
 */
export async function withCountingRedis(what: string, task: (client: CountingRedis) => Promise<void>): Promise<void> {
  const provided: Record<string, string> = {}
  const stop = await startRedis({ provide: (name: string, value: string) => (provided[name] = value) } as never)
  try {
    if (!provided.redisUrl) return console.log(`${what}: skipped (no redis-server on PATH; run scripts/ensure-redis.sh)`)
    const client = new Redis(provided.redisUrl)
    let sent = 0
    try {
      await task({ call: (command, ...args) => ((sent += 1), client.call(command, ...args)), sent: () => sent })
    } finally {
      await client.quit()
    }
  } finally {
    await stop()
  }
}
