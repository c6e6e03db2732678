import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
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
export function redisArguments(port: number, dir: string, persistence: 'aof' | 'snapshots' = 'aof', extra: readonly string[] = []): string[] {
  const durable = persistence === 'aof' ? ['--appendonly', 'yes', '--appendfsync', 'always', '--save', ''] : ['--appendonly', 'no', '--save', '3600 1']
  return ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, ...durable, '--protected-mode', 'yes', ...extra]
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
export function startRedis(port: number, dir: string, persistence: 'aof' | 'snapshots' = 'aof', extra: readonly string[] = []): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const server = spawn('redis-server', redisArguments(port, dir, persistence, extra), {
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

/** A Redis Cluster of real servers on 127.0.0.1, see {@link startCluster}. */
export type TestCluster = {
  /** Every node's port; the first `masters` were created masters, each next one a replica. */
  ports: number[]
  /** The running server of each port (replaced when a node is restarted). */
  servers: Map<number, ChildProcess>
  /** Starts the node of `port` again, with its files (it rejoins the cluster it was in). */
  restart(port: number): Promise<void>
  stop(): Promise<void>
}

/**
 * Starts `masters` masters and one replica each (`redis-cli --cluster create … --cluster-replicas
 * 1`), every node with the durability the store requires and a short `cluster-node-timeout`
 * (a failover in about two seconds), and resolves once every node says the cluster is ok.
 */
export async function startCluster(dir: string, masters = 3): Promise<TestCluster> {
  const ports: number[] = []
  const servers = new Map<number, ChildProcess>()
  const stop = () => Promise.all([...servers.values()].map(stopRedis)).then(() => undefined)
  const start = async (port: number) => {
    const nodeDir = join(dir, String(port))
    mkdirSync(nodeDir, { recursive: true })
    servers.set(port, await startRedis(port, nodeDir, 'aof', ['--cluster-enabled', 'yes', '--cluster-node-timeout', '2000', '--cluster-config-file', 'nodes.conf']))
  }
  // freePort hands out a port the system chose, but the cluster bus listens on port + 10,000, which
  // another process may hold (an outgoing connection's ephemeral port, in CI): a node that cannot
  // bind is started again on another port.
  const startNode = async () => {
    for (let attempt = 1; ; attempt++) {
      const port = await freePort()
      if (port + 10_000 > 65_535 || ports.includes(port)) continue
      ports.push(port)
      try {
        return await start(port)
      } catch (error) {
        ports.splice(ports.indexOf(port), 1)
        if (attempt >= 5 || !String((error as Error).message).includes('Address already in use')) throw error
      }
    }
  }
  try {
    await Promise.all(Array.from({ length: masters * 2 }, startNode))
    await run('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '1', '--cluster-yes'])
    for (const port of ports) await clusterOk(port)
  } catch (error) {
    await stop()
    throw error
  }
  return { ports, servers, restart: start, stop }
}

/** Resolves once the node on `port` says `cluster_state:ok` and, a replica, that its link to its master is up (within 20 s). */
export function clusterOk(port: number): Promise<void> {
  return polled(20_000, `the cluster node on ${port} is not ok`, async () => {
    const info = await redisCli(port, 'cluster', 'info')
    const replication = await redisCli(port, 'info', 'replication')
    return info.includes('cluster_state:ok') && (replication.includes('role:master') || replication.includes('master_link_status:up'))
  })
}

/**
 * Waits until the node on `port` is a replica whose link to its master is up. A master that was
 * killed and comes back first serves its old view (role:master) until the cluster demotes it,
 * so `clusterOk` alone can return before it replicates anything.
 */
export function replicating(port: number): Promise<void> {
  return polled(30_000, `the cluster node on ${port} is not a replica in sync`, async () => {
    const replication = await redisCli(port, 'info', 'replication')
    return replication.includes('role:slave') && replication.includes('master_link_status:up')
  })
}

/** What `redis-cli -p port …args` prints, or '' when it fails (the node is down or starting). */
function redisCli(port: number, ...args: string[]): Promise<string> {
  return run('redis-cli', ['-p', String(port), ...args]).catch(() => '')
}

/** Resolves once `ok` says so, asked every 100 ms; rejects saying `what` after `within` ms. */
async function polled(within: number, what: string, ok: () => Promise<boolean>): Promise<void> {
  for (let waited = 0; waited < within; waited += 100) {
    if (await ok()) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${what} after ${within / 1000} s`)
}

/** Runs a command to its end; rejects with its output when it fails. */
export function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.once('error', reject)
    child.once('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} ${args.join(' ')} exited with ${code}: ${output.slice(-500)}`))))
  })
}
