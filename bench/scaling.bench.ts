// What each operation costs with 1, 100 and 10,000 sessions already in the store, as an app
// runs it through keyleash on an instant wallet: a grant (signer given), the auto-routed send
// that follows it, a send with its context, `sessions.check`, and `sessions.revoke`. The other
// sessions all cover the same target (the worst case for auto-routing) and share one key (the
// worst case for revoke's shared-key check). Each operation is timed by hand, one at a time,
// in the same loop, so a grant is followed by the lookups that must see it; medians. Each table
// is taken twice: with a pause before each operation and a forced GC after each round (each
// operation alone, what keyleash itself does), and back to back without either (what an app
// that serves requests one after another pays, its GC included). CPU time beside wall time.
// Target (memory store, file store in both layouts, Redis): every operation at 10,000 sessions
// within 1.5× of the same at 1 (the median of per-round ratios, the sizes taking turns each
// round, printed with its spread: a ratio of two medians hid how far single rounds strayed).
// Redis also prints the commands (round trips) each operation sends, counted at the client:
// the same at every size. Redis runs when `redis-server` is on
// PATH (a throwaway one, with the persistence the store requires: scripts/ensure-redis.sh).
// Run alone: node --import tsx bench/scaling.bench.ts
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { encodeFunctionData, numberToHex, parseAbi, type Address } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { withSessionKeys } from '../src/provider.js'
import { memoryStore } from '../src/sessions/memoryStore.js'
import { fileStore } from '../src/sessions/stores/fileStore.js'
import { redisStore } from '../src/sessions/stores/redisStore.js'
import { encodeSession } from '../src/sessions/stores/serialize.js'
import type { Session, SessionStore } from '../src/sessions/types.js'
import { withCountingRedis } from './countingRedis.js'
import { account, chainId, grantRequest, instantWallet, median, nft, now, verdict } from './instantWallet.js'
import { cpuNow, formatRatio, printLoad, spread } from './timing.js'
import { enforcedBy, enforcedRules } from '../src/permissions/enforcement.js'
import { autoRouting } from '../src/sessions/autoRouting.js'

const sizes = [1, 100, 10_000] as const
const operations = ['grant', 'auto-routed send', 'send with context', 'check', 'revoke'] as const
const targetRatio = 1.5
// Per (store, size): at least minRounds rounds of the five operations (a file or Redis store's
// operations vary threefold from one to the next: fewer rounds let the median of one size land
// in another mode than the next size's), then more while within budgetMs, up to maxRounds.
const minRounds = 60
const maxRounds = 300
const budgetMs = 1500
// The file stores run in memory (tmpfs) where there is one: each write's flush to disk costs the
// same at every size, but on a disk shared with other work it varies tenfold from one write to
// the next and would hide what keyleash itself does.
const scratch = existsSync('/dev/shm') ? '/dev/shm' : tmpdir()

type Operation = (typeof operations)[number]
type Figures = Record<Operation, number>
/**
 * Per operation: median µs (wall and CPU), median commands sent to the store's server (Redis
 * only), and each round's ms (wall and CPU), warm-up left out, for per-round ratios between sizes.
 */
type Measured = { time: Figures; cpu: Figures; commands?: Figures | undefined; rounds: { wall: Record<Operation, number[]>; cpu: Record<Operation, number[]> } }
/** How the operations follow each other: paused (each alone, GC forced between rounds) or back to back. */
type Pacing = 'paused' | 'back to back'
const pacings: readonly Pacing[] = ['paused', 'back to back']

/**
 * A store holding `count` live sessions on the NFT, all signed by one key, and that key;
 * `commands` counts what was sent to the store's server so far, where there is one.
 */
type Filled = { store: SessionStore; key: Address; close(): void | Promise<void>; commands?: (() => number) | undefined }

export async function run(): Promise<void> {
  printLoad('scaling')
  const memory = await table('memory store', async (count) => {
    const store = memoryStore()
    const key = await store.keys.import(generatePrivateKey())
    for (let i = 0; i < count; i++) await store.put(filler(i, key))
    return { store, key, close() {} }
  })
  report('memory store', memory)
  const file = await table('file store (one file)', async (count) => {
    const dir = mkdtempSync(join(scratch, 'keyleash-scaling-'))
    const path = join(dir, 'sessions.jsonl')
    const key = generatePrivateKey()
    // Written straight in the first format (a line per session, no header): 10,000 puts would
    // flush the disk 10,000 times. The key's import, below, rewrites it in the log's format.
    let lines = ''
    for (let i = 0; i < count; i++) lines += `${JSON.stringify(['keyleash', 's', `filler-${i}`])}\t${encodeSession(filler(i, addressOf(key)))}\n`
    appendFileSync(path, lines, { mode: 0o600 })
    const store = fileStore(path, { plaintextKeys: true })
    await store.keys.import(key)
    return { store, key: addressOf(key), close: () => rmSync(dir, { recursive: true, force: true }) }
  })
  report('file store (one file)', file)
  const folder = await table('file store (folder)', async (count) => {
    const dir = mkdtempSync(join(scratch, 'keyleash-scaling-'))
    const sessions = join(dir, 'keyleash', 's')
    mkdirSync(sessions, { recursive: true })
    const store = fileStore(`${dir}/`, { plaintextKeys: true })
    const key = await store.keys.import(generatePrivateKey())
    for (let i = 0; i < count; i++) writeFileSync(join(sessions, `filler-${i}.json`), encodeSession(filler(i, key)), { mode: 0o600 })
    return { store, key, close: () => rmSync(dir, { recursive: true, force: true }) }
  })
  report('file store (folder)', folder)
  await redisTable()
  printLoad('scaling')
}

/** The table on a throwaway redis-server, commands counted at the client; skipped without one. */
async function redisTable(): Promise<void> {
  await withCountingRedis('\nredis store', async (client) => {
    let made = 0
    const redis = await table('redis store', async (count) => {
      const store = redisStore(client, { plaintextKeys: true, namespace: `scaling-${++made}` })
      const key = await store.keys.import(generatePrivateKey())
      // Through the store, 64 at a time: each put is one script, as a grant's.
      for (let i = 0; i < count; i += 64) await Promise.all(Array.from({ length: Math.min(64, count - i) }, (_, j) => store.put(filler(i + j, key))))
      return { store, key, close: () => client.call('FLUSHALL').then(() => undefined), commands: client.sent }
    })
    report('redis store', redis)
  })
}

/** A full garbage collection, on demand (the flag is set for this process from here on). */
const collectGarbage = (() => {
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
})()

function addressOf(key: `0x${string}`): Address {
  return privateKeyToAccount(key).address
}

function filler(i: number, keyAddress: Address): Session {
  return {
    id: `filler-${i}`,
    chainId,
    account,
    signer: { type: 'account', address: keyAddress },
    keyAddress,
    expiry: now + 3600,
    permissions: [{ type: 'contract-call', target: nft, selectors: ['0x6a627842'] }],
    policies: [],
    usage: { calls: 0, native: 0n, spent: {} },
    status: 'active',
    wallet: 'erc7715',
    enforcedBy: enforcedBy(enforcedRules),
    createdAt: now - 3600,
  }
}

/**
 * Fills a store of each size, then, for each pacing, runs rounds on them in turn (1, 100,
 * 10,000, 1, …): on a machine shared with other work, load comes and goes, and taking turns
 * spreads it over the sizes alike instead of landing on whichever size was measured at the time.
 */
async function table(name: string, fill: (count: number) => Promise<Filled>): Promise<Map<Pacing, Map<number, Measured>>> {
  const filled: Filled[] = []
  const results = new Map<Pacing, Map<number, Measured>>()
  try {
    for (const size of sizes) filled.push(await fill(size))
    // One wallet per store across the pacings: its contexts never repeat, and a persistent
    // store's tombstone of a revoked session refuses the same id granted again.
    const wallets = filled.map(() => instantWallet())
    for (const pacing of pacings) {
      const rounds = filled.map((store, i) => rounder(store, pacing, wallets[i]!))
      const started = performance.now()
      for (let round = 0; round < maxRounds && (round < minRounds || performance.now() - started < budgetMs * sizes.length); round++)
        // The sizes' order rotates too: whichever size runs right after the largest store pays its garbage.
        for (let turn = 0; turn < rounds.length; turn++) await rounds[(turn + round) % rounds.length]!.round()
      console.log(`${name}, ${pacing}: measured`)
      results.set(pacing, new Map(sizes.map((size, i) => [size, rounds[i]!.figures()])))
    }
    return results
  } finally {
    for (const store of filled) await store.close()
  }
}

/** One round of the five operations on a filled store, each timed (and its commands counted), and the medians so far. */
function rounder({ store, key, commands }: Filled, pacing: Pacing, wallet: ReturnType<typeof instantWallet>): { round(): Promise<void>; figures(): Measured } {
  const provider = withSessionKeys(wallet, { now: () => now, store, autoRoute: autoRouting() })
  const grant = { method: 'wallet_grantPermissions', params: grantRequest(key) }
  const data = encodeFunctionData({ abi: parseAbi(['function mint(address to)']), functionName: 'mint', args: [account] })
  const calls = [{ to: nft, data }]
  const send = (capabilities: object) => ({ method: 'wallet_sendCalls', params: [{ version: '2.0.0', chainId: numberToHex(chainId), atomicRequired: true, calls, capabilities }] })
  const autoRouted = send({})
  const perOperation = () => ({ grant: [], 'auto-routed send': [], 'send with context': [], check: [], revoke: [] }) as Record<Operation, number[]>
  const samples = perOperation()
  const cpuSamples = perOperation()
  const sent = perOperation()
  const timed = async <T>(operation: Operation, task: () => Promise<T>): Promise<T> => {
    const before = commands?.() ?? 0
    // Paused: a moment's pause first, so each operation is timed on its own: on the file stores
    // an operation that follows another at once pays up to ~2.5 ms more, at random (one sample
    // in two or none): the collector's work and the I/O of the operation before. Back to back
    // keeps that cost in, as an app serving one request after another pays it.
    if (pacing === 'paused') await new Promise((resolve) => setTimeout(resolve, 3))
    const cpu = cpuNow()
    const started = performance.now()
    const result = await task()
    samples[operation].push(performance.now() - started)
    cpuSamples[operation].push((cpuNow() - cpu) / 1000)
    sent[operation].push((commands?.() ?? 0) - before)
    return result
  }

  async function round(): Promise<void> {
    const { permissionsContext: context } = (await timed('grant', () => provider.request(grant))) as { permissionsContext: string }
    await timed('auto-routed send', () => provider.request(autoRouted))
    await timed('send with context', () => provider.request(send({ permissions: { context } })))
    const checked = await timed('check', () => provider.sessions.check(context, calls, { chainId }))
    if (!checked.allowed) throw new Error(`scaling bench: session ${context} should fit its own call`)
    await timed('revoke', () => provider.sessions.revoke(context))
    // Purged, untimed, so every round starts with the same sessions in the store.
    await store.delete(context)
    if (pacing === 'back to back') return
    // A persistent store's delete reads every session to see whether the key is shared: paused,
    // its garbage is collected here, untimed (and the collector's background sweeping given
    // time to end), not in the next round's operations.
    collectGarbage()
    await new Promise((resolve) => setTimeout(resolve, 20))
  }

  function figures(): Measured {
    // The first two rounds warm up the code and the caches; a real app is past them.
    const time = {} as Figures
    const cpu = {} as Figures
    const counted = {} as Figures
    for (const operation of operations) {
      time[operation] = median(samples[operation].slice(2)) * 1000
      cpu[operation] = median(cpuSamples[operation].slice(2)) * 1000
      counted[operation] = median(sent[operation].slice(2))
    }
    const kept = (all: Record<Operation, number[]>) => Object.fromEntries(operations.map((operation) => [operation, all[operation].slice(2)])) as Record<Operation, number[]>
    return { time, cpu, commands: commands === undefined ? undefined : counted, rounds: { wall: kept(samples), cpu: kept(cpuSamples) } }
  }
  return { round, figures }
}

function report(name: string, results: Map<Pacing, Map<number, Measured>>): void {
  const cell = (us: number) => `${us.toFixed(1)} µs`.padStart(12)
  for (const [pacing, figures] of results) {
    console.log(`\n${name}, ${pacing}: median µs per operation (wall), by sessions in the store (target: 10,000 within ${targetRatio}× of 1, wall and CPU)`)
    console.log(`${'operation'.padEnd(18)}${sizes.map((size) => size.toLocaleString('en').padStart(12)).join('')}  10,000 / 1: median of per-round ratios (p25–p75), wall; CPU`)
    for (const operation of operations) {
      const row = sizes.map((size) => figures.get(size)?.time[operation] ?? Number.NaN)
      // The sizes take turns each round: round r at 10,000 against round r at 1, taken moments apart.
      const ratio = (clock: 'wall' | 'cpu') => {
        const small = figures.get(1)?.rounds[clock][operation] ?? []
        return spread((figures.get(10_000)?.rounds[clock][operation] ?? []).map((large, round) => large / (small[round] ?? Number.NaN)))
      }
      const [wall, cpu] = [ratio('wall'), ratio('cpu')]
      console.log(`${operation.padEnd(18)}${row.map(cell).join('')}  ${formatRatio(wall)} ${verdict(wall.median <= targetRatio)}; ${formatRatio(cpu)} ${verdict(cpu.median <= targetRatio)}`)
    }
  }
  const figures = results.get('paused')
  if (figures?.get(1)?.commands === undefined) return
  console.log(`${name}: median commands sent to the server per operation (round trips; target: the same at every size)`)
  for (const operation of operations) {
    const row = sizes.map((size) => figures.get(size)?.commands?.[operation] ?? Number.NaN)
    console.log(`${operation.padEnd(18)}${row.map((count) => String(count).padStart(12)).join('')}  ${verdict(row.every((count) => count === row[0]))}`)
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run()
