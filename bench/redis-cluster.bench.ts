// Redis topologies: signed sends per second, 16 sessions sending in parallel, on one Redis, on a
// Redis Cluster of 3 masters + 3 replicas (sessions spread over the masters), and on a primary
// that waits for its replica (WAIT) before acknowledging. Each round sends a burst on every
// topology, the order rotating round by round; printed per topology as the median over rounds
// with p25–p75: sends a second (wall), this process's CPU a send (keyleash and the client, not
// the servers, which are other processes), and the median of per-round ratios to one Redis.
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
import { grantRequest, instantWallet, now, sendRequest } from './instantWallet.js'
import { cpuNow, formatRatio, printLoad, spread, type Spread } from './timing.js'

const sessions = 16
const sendsEach = 15
const rounds = 12
const warmup = 2

/** A topology ready to send on: its sessions granted, their keys opened once. */
type Topology = { name: string; burst: () => Promise<void>; close: () => void }

export async function run(): Promise<void> {
  const root = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'keyleash-bench-redis-'))
  const servers: ChildProcess[] = []
  const server = async (name: string, extra: string[] = []) => {
    const port = await freePort()
    mkdirSync(join(root, name))
    servers.push(await startRedis(port, join(root, name), 'aof', extra))
    return port
  }
  const topologies: Topology[] = []
  try {
    const lone = await server('lone')
    const primary = await server('primary')
    const replica = await server('replica', ['--replicaof', '127.0.0.1', String(primary)])
    await linkUp(replica)
    const cluster = await startCluster(join(root, 'cluster'))
    try {
      const seed = [{ host: '127.0.0.1', port: cluster.ports[0]! }]
      topologies.push(
        await topology('one Redis', () => new Redis(lone, '127.0.0.1'), {}),
        await topology('cluster, 3 masters, no wait (replicas: 0)', () => new Cluster(seed), { replicas: 0 }),
        await topology('cluster, 3 masters, each write waits for its replica', () => new Cluster(seed), {}),
        await topology('primary + replica, each write waits for the replica (WAIT)', () => new Redis(primary, '127.0.0.1'), {}),
      )
      printLoad('redis-cluster')
      const figures = await measure(topologies)
      for (const [i, { name }] of topologies.entries()) {
        const { rate, cpu, wallRatio, cpuRatio } = figures[i]!
        const round = (value: number) => Math.round(value).toLocaleString('en')
        console.log(`${name}: ${round(rate.median)} sends/s wall (p25–p75 ${round(rate.p25)}–${round(rate.p75)}), ${round(cpu.median)} µs CPU a send in this process`)
        if (i > 0) console.log(`  against one Redis: wall ${formatRatio(wallRatio)} the time, CPU ${formatRatio(cpuRatio)}`)
      }
      console.log(`(${sessions} sessions sending in parallel, ${sendsEach} sends each a burst, ${rounds} rounds after ${warmup}, order rotating; every server on this machine, so a cluster adds no cores here)`)
      printLoad('redis-cluster')
    } finally {
      topologies.forEach((each) => each.close())
      await cluster.stop()
    }
  } finally {
    await Promise.all(servers.map(stopRedis))
    rmSync(root, { recursive: true, force: true })
  }
}

/** A provider on a Redis store through `connect`'s client, with `sessions` sessions granted and sent on once (the keys decrypted, the scripts loaded). */
async function topology(name: string, connect: () => Redis | Cluster, options: RedisStoreOptions): Promise<Topology> {
  const client = connect()
  // The instant wallet: a wallet that checks signatures (recovering each signer in JavaScript) took ~6 ms of CPU a send, and hid what the topologies cost.
  const provider = withSessionKeys(instantWallet(), {
    now: () => now,
    store: redisStore(client as RedisClient, { encryptionKey: crypto.getRandomValues(new Uint8Array(32)), namespace: `bench-${Math.random().toString(36).slice(2)}`, ...options }),
  })
  const sends = await Promise.all(
    Array.from({ length: sessions }, async () => {
      const key = await provider.sessions.importKey(generatePrivateKey())
      const { permissionsContext } = (await provider.request({ method: 'wallet_grantPermissions', params: grantRequest(key) })) as { permissionsContext: string }
      return sendRequest(permissionsContext)
    }),
  )
  await Promise.all(sends.map((send) => provider.request(send)))
  const burst = async () => {
    await Promise.all(
      sends.map(async (send) => {
        for (let i = 0; i < sendsEach; i++) await provider.request(send)
      }),
    )
  }
  return { name, burst, close: () => client.disconnect() }
}

type Figures = { rate: Spread; cpu: Spread; wallRatio: Spread; cpuRatio: Spread }

/** Every topology's burst once a round, the order rotating (round r starts at topology r mod n); the first `warmup` rounds left out. */
async function measure(topologies: readonly Topology[]): Promise<Figures[]> {
  const sends = sessions * sendsEach
  const samples = topologies.map(() => ({ wall: [] as number[], cpu: [] as number[], wallRatio: [] as number[], cpuRatio: [] as number[] }))
  for (let round = 0; round < warmup + rounds; round++) {
    const times: { wall: number; cpu: number }[] = []
    for (let k = 0; k < topologies.length; k++) {
      const i = (round + k) % topologies.length
      const cpu = cpuNow()
      const wall = performance.now()
      await topologies[i]!.burst()
      times[i] = { wall: (performance.now() - wall) * 1000, cpu: cpuNow() - cpu }
    }
    if (round < warmup) continue
    const base = times[0]!
    for (const [i, time] of times.entries()) {
      samples[i]!.wall.push(sends / (time.wall / 1e6))
      samples[i]!.cpu.push(time.cpu / sends)
      samples[i]!.wallRatio.push(time.wall / base.wall)
      samples[i]!.cpuRatio.push(time.cpu / base.cpu)
    }
  }
  return samples.map((each) => ({ rate: spread(each.wall), cpu: spread(each.cpu), wallRatio: spread(each.wallRatio), cpuRatio: spread(each.cpuRatio) }))
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
