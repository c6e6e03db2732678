import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { freePort } from '../../src/devwallet/chain.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** `redis://127.0.0.1:<port>` of the redis-server shared by the run; `''` when none is installed. */
    redisUrl: string
  }
}

/**
 * vitest globalSetup: one throwaway `redis-server` per run, on 127.0.0.1 on a free port,
 * with the persistence the Redis store requires (every write in the append-only file before
 * the answer) in a temporary folder in memory where there is one, removed at teardown. Without
 * `redis-server` on PATH it provides `''` and the Redis tests skip, saying how to install
 * it (`scripts/ensure-redis.sh`); CI sets KEYLEASH_REQUIRE_REDIS=1 to make that a failure.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const port = await freePort()
  // fsync on tmpfs costs nothing, so `appendfsync always` does not slow the suite down.
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'keyleash-redis-'))
  let server: ChildProcess
  try {
    server = await startRedis(port, dir)
  } catch (error) {
    if (process.env.KEYLEASH_REQUIRE_REDIS) throw error
    console.warn(`redis-server not started (${(error as Error).message}): Redis tests skip; run scripts/ensure-redis.sh`)
    project.provide('redisUrl', '')
    return async () => {}
  }
  project.provide('redisUrl', `redis://127.0.0.1:${port}`)
  return async () => {
    await stopRedis(server)
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * A redis-server's command line on 127.0.0.1:`port`, its files in `dir`: by default the
 * durability the Redis store requires; `persistence: 'snapshots'` is Redis's own default
 * (RDB snapshots only), for tests that show what it loses.
 */
export function redisArguments(port: number, dir: string, persistence: 'aof' | 'snapshots' = 'aof'): string[] {
  const durable = persistence === 'aof' ? ['--appendonly', 'yes', '--appendfsync', 'always', '--save', ''] : ['--appendonly', 'no', '--save', '3600 1']
  return ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, ...durable, '--protected-mode', 'yes']
}

/** Stops a redis-server started by {@link startRedis}: SIGTERM, then SIGKILL after 3 s. */
export async function stopRedis(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return
  const exited = new Promise((resolve) => server.once('exit', resolve))
  server.kill('SIGTERM')
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))])
  if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL')
}

/** Starts a redis-server (see {@link redisArguments}) and resolves once it accepts connections. */
export function startRedis(port: number, dir: string, persistence: 'aof' | 'snapshots' = 'aof'): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const server = spawn('redis-server', redisArguments(port, dir, persistence), {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    const timer = setTimeout(() => {
      server.kill('SIGKILL')
      reject(new Error(`no "Ready to accept connections" within 5 s: ${output.slice(-500)}`))
    }, 5000)
    server.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    server.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer)
        server.stdout?.removeAllListeners('data')
        server.stdout?.resume()
        resolve(server)
      }
    })
    server.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`redis-server exited with ${code}: ${output.slice(-500)}`))
    })
  })
}
