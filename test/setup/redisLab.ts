import type { ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis, type RedisOptions } from 'ioredis'
import { afterAll } from 'vitest'
import { freePort } from '../../src/devwallet/chain.js'
import { startRedis, stopRedis } from './redis.js'

/** A redis-server a {@link RedisLab} started. */
export type LabServer = {
  port: number
  /** Its folder (append-only file, snapshots), kept across restarts. */
  dir: string
  /** The process first started (a test kills, pauses or resumes it). */
  process: ChildProcess
  /** Starts it again on the same port with the same folder (after a kill); resolves to the new process. */
  restart(): Promise<ChildProcess>
}

/** What a test file that starts Redis servers of its own works with (see {@link redisLab}). */
export type RedisLab = {
  /** The lab's temporary folder. */
  root: string
  /**
   * Starts a redis-server on 127.0.0.1, on a free port, in a folder of its own (`name`, by
   * default a number): with the durability the Redis store requires unless `persistence` is
   * `'snapshots'`, and `extra` arguments (`--replicaof …`).
   */
  server(options?: { name?: string; persistence?: 'aof' | 'snapshots'; extra?: readonly string[] }): Promise<LabServer>
  /**
   * An ioredis client of the server on `port` (the lab's client options, then `options`), or
   * one built by `options` alone when `port` is `undefined` (`sentinels`). Servers in a lab are
   * killed and paused on purpose, so its connection errors are expected and swallowed.
   */
  client(port: number | undefined, options?: RedisOptions): Redis
  /** Stops `process` (a Sentinel the test spawned itself) with the lab's servers. */
  track(process: ChildProcess): ChildProcess
}

/**
 * One test file's Redis servers and clients, torn down together after the file (clients
 * disconnected, servers stopped, their folder removed): the setup every test that kills,
 * pauses, replicates or fails over real servers repeats. `clientOptions` are every client's
 * defaults (e.g. `{ maxRetriesPerRequest: 1 }`). Call it at the top of the file.
 *
 * @example
 * const lab = redisLab('faults', { maxRetriesPerRequest: 1 })
 * const redis = await lab.server({ persistence: 'snapshots' })
 * const store = redisStore(lab.client(redis.port), { plaintextKeys: true })
 */
export function redisLab(name: string, clientOptions: RedisOptions = { maxRetriesPerRequest: 0 }): RedisLab {
  const root = mkdtempSync(join(tmpdir(), `keyleash-redis-${name}-`))
  const processes: ChildProcess[] = []
  const clients: Redis[] = []
  let made = 0
  afterAll(async () => {
    clients.forEach((client) => client.disconnect())
    await Promise.all(processes.map(stopRedis))
    rmSync(root, { recursive: true, force: true })
  })
  const track = (process: ChildProcess) => {
    processes.push(process)
    return process
  }
  return {
    root,
    async server({ name = String(made++), persistence = 'aof', extra = [] } = {}) {
      const port = await freePort()
      const dir = join(root, name)
      mkdirSync(dir)
      const restart = async () => track(await startRedis(port, dir, persistence, extra))
      return { port, dir, process: await restart(), restart }
    },
    client(port, options = {}) {
      const redis = port === undefined ? new Redis({ ...clientOptions, ...options }) : new Redis(port, '127.0.0.1', { ...clientOptions, ...options })
      redis.on('error', () => {})
      clients.push(redis)
      return redis
    },
    track,
  }
}
