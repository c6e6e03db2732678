// Redis topologies: signed sends per second, 16 sessions sending in parallel, on one Redis, on a
// Redis Cluster of 3 masters + 3 replicas (sessions spread over the masters), and on a primary
// that waits for its replica (WAIT) before acknowledging; printed as ratios to one Redis.
// Run: node --import tsx bench/redis-cluster.bench.ts  (needs redis-server: scripts/ensure-redis.sh)
import type { ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Cluster, Redis } from 'ioredis'
import { generatePrivateKey } from 'viem/accounts'
import { freePort } from '../src/devwallet/chain.js'
import { withSessionKeys } from '../src/provider.js'
import { redisStore, type RedisClient, type RedisStoreOptions } from '../src/sessions/stores/redisStore.js'
import { startCluster, startRedis, stopRedis } from '../test/setup/redis.js'
import { scriptedPreparer } from '../test/utils/scriptedPreparer.js'
import { grantMint, now, scriptedWallet, sendMint } from '../test/utils/scriptedWallet.js'

const sessions = 16
const sendsEach = 60

export async function run(): Promise<void> {
  const root = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'keyleash-bench-redis-'))
  const servers: ChildProcess[] = []
  const server = async (name: string, extra: string[] = []) => {
    const port = await freePort()
    mkdirSync(join(root, name))
    servers.push(await startRedis(port, join(root, name), 'aof', extra))
    return port
  }
  try {
    const lone = await server('lone')
    const primary = await server('primary')
    const replica = await server('replica', ['--replicaof', '127.0.0.1', String(primary)])
    await linkUp(replica)
    const cluster = await startCluster(join(root, 'cluster'))
    try {
      const seed = [{ host: '127.0.0.1', port: cluster.ports[0]! }]
      const figures: [string, number][] = [
        ['one Redis', await sendsPerSecond(() => new Redis(lone, '127.0.0.1'), {})],
        ['cluster, 3 masters, no wait (replicas: 0)', await sendsPerSecond(() => new Cluster(seed), { replicas: 0 })],
        ['cluster, 3 masters, each write waits for its replica', await sendsPerSecond(() => new Cluster(seed), {})],
        ['primary + replica, each write waits for the replica (WAIT)', await sendsPerSecond(() => new Redis(primary, '127.0.0.1'), {})],
      ]
      const [, base] = figures[0]!
      for (const [what, perSecond] of figures) console.log(`${what}: ${Math.round(perSecond).toLocaleString('en')} sends/s (${(perSecond / base).toFixed(2)}× one Redis)`)
      console.log(`(${sessions} sessions sending in parallel, ${sendsEach} sends each; every server on this machine, so a cluster adds no cores here)`)
    } finally {
      await cluster.stop()
    }
  } finally {
    await Promise.all(servers.map(stopRedis))
    rmSync(root, { recursive: true, force: true })
  }
}

/** Signed `wallet_sendCalls` per second: `sessions` sessions, each sending `sendsEach` times one after another, all at once. */
async function sendsPerSecond(connect: () => Redis | Cluster, options: RedisStoreOptions): Promise<number> {
  const client = connect()
  try {
    const provider = withSessionKeys(scriptedWallet('erc7715', scriptedPreparer().script), {
      now: () => now,
      store: redisStore(client as RedisClient, { encryptionKey: crypto.getRandomValues(new Uint8Array(32)), namespace: `bench-${Math.random().toString(36).slice(2)}`, ...options }),
    })
    const contexts = await Promise.all(Array.from({ length: sessions }, async () => grantMint(provider, await provider.sessions.importKey(generatePrivateKey()))))
    // First sends decrypt the keys and load the scripts.
    await Promise.all(contexts.map((context) => sendMint(provider, context)))
    const started = performance.now()
    await Promise.all(
      contexts.map(async (context) => {
        for (let i = 0; i < sendsEach; i++) await sendMint(provider, context)
      }),
    )
    return (sessions * sendsEach) / ((performance.now() - started) / 1000)
  } finally {
    client.disconnect()
  }
}

async function linkUp(port: number): Promise<void> {
  const replica = new Redis(port, '127.0.0.1')
  try {
    for (let waited = 0; waited < 10_000; waited += 50) {
      if (String(await replica.call('INFO', 'replication')).includes('master_link_status:up')) return
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    throw new Error('the replica did not link up within 10 s')
  } finally {
    replica.disconnect()
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run()
