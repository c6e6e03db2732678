import { spawn, type ChildProcess } from 'node:child_process'
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
 * nothing saved to disk (`--save '' --appendonly no`), stopped at teardown. Without
 * `redis-server` on PATH it provides `''` and the Redis tests skip, saying how to install
 * it (`scripts/ensure-redis.sh`); CI sets KEYLEASH_REQUIRE_REDIS=1 to make that a failure.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const port = await freePort()
  let server: ChildProcess
  try {
    server = await start(port)
  } catch (error) {
    if (process.env.KEYLEASH_REQUIRE_REDIS) throw error
    console.warn(`redis-server not started (${(error as Error).message}): Redis tests skip; run scripts/ensure-redis.sh`)
    project.provide('redisUrl', '')
    return async () => {}
  }
  project.provide('redisUrl', `redis://127.0.0.1:${port}`)
  return async () => {
    if (server.exitCode !== null) return
    const exited = new Promise((resolve) => server.once('exit', resolve))
    server.kill('SIGTERM')
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))])
    if (server.exitCode === null) server.kill('SIGKILL')
  }
}

function start(port: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const server = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], {
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
