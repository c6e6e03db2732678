// Session stores: memory store get/put per second; hydrating 10,000 sessions from the file
// store (target ≤ 200 ms, both layouts, and ≤ 2× a raw read + JSON.parse of the same bytes);
// Redis round trips (and time) per signature.
// Run: node --import tsx bench/stores.bench.ts  (Redis part needs redis-server: scripts/ensure-redis.sh)
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bench, do_not_optimize, run as runBenches } from 'mitata'
import { generatePrivateKey } from 'viem/accounts'
import { withSessionKeys } from '../src/provider.js'
import { memoryStore } from '../src/sessions/memoryStore.js'
import { sessionWith } from '../src/sessions/sessionWith.js'
import { fileStore } from '../src/sessions/stores/fileStore.js'
import { redisStore } from '../src/sessions/stores/redisStore.js'
import { encodeSession } from '../src/sessions/stores/serialize.js'
import type { Session } from '../src/sessions/types.js'
import { sessionFixture } from '../test/utils/sessionFixture.js'
import { withCountingRedis } from './countingRedis.js'
import { grantRequest, instantWallet, nft, now, sendRequest, verdict } from './instantWallet.js'
import { compare, describeComparison, describeThroughput, printLoad, throughput } from './timing.js'

// Hydrating costs at most twice reading and parsing the same bytes (median of per-round CPU ratios).
const hydrationTarget = 2

export async function run(): Promise<void> {
  printLoad('stores')
  await memoryGetPut()
  await hydrate()
  await redisPerSignature()
  printLoad('stores')
}

async function memoryGetPut(): Promise<void> {
  const store = memoryStore()
  const session = sessionFixture({ usage: { calls: 3, native: 5n, spent: { [nft.toLowerCase()]: 7n } } })
  await store.put(session)
  // `put` never replaces a session: what a send writes is an update, its usage counted.
  const count = () => store.update(session.id, (stored) => sessionWith(stored, { usage: { ...stored.usage, calls: stored.usage.calls + 1 } }))
  bench('memoryStore.get', async () => do_not_optimize(await store.get(session.id)))
  bench('memoryStore.update (a send counted)', async () => do_not_optimize(await count()))
  await runBenches()
  for (const [name, op] of [
    ['get', () => store.get(session.id)],
    ['update', count],
  ] as const)
    console.log(describeThroughput(`memoryStore.${name}`, await throughput(op, { operations: 200_000, block: 20_000 })))
}

/**
 * Writes 10,000 sessions straight in each layout's format (10,000 puts would rewrite the one
 * file 10,000 times), then times `list()` on a fresh store, as a restarted process does.
 */
async function hydrate(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'keyleash-bench-'))
  try {
    const sessions: Session[] = Array.from({ length: 10_000 }, (_, i) =>
      sessionFixture({ id: `0x${i.toString(16).padStart(8, '0')}`, usage: { calls: i % 10, native: BigInt(i) * 10n ** 15n, spent: {} } }),
    )
    const file = join(root, 'sessions.jsonl')
    writeFileSync(file, sessions.map((s) => `${JSON.stringify(['keyleash', 's', s.id])}\t${encodeSession(s)}\n`).join(''), { mode: 0o600 })
    const folder = join(root, 'folder')
    mkdirSync(join(folder, 'keyleash', 's'), { recursive: true })
    mkdirSync(join(folder, 'keyleash', 'k'), { recursive: true })
    for (const s of sessions) writeFileSync(join(folder, 'keyleash', 's', `${s.id}.json`), encodeSession(s), { mode: 0o600 })
    // The floor: what any store must do to hydrate, read the same bytes and parse the JSON in them.
    const rawFile = async () => {
      const lines = (await readFile(file, 'utf8')).split('\n')
      for (const line of lines) if (line !== '') for (const part of line.split('\t')) JSON.parse(part)
    }
    const sessionsDir = join(folder, 'keyleash', 's')
    const rawFolder = async () => {
      // Synchronous reads, the cheapest there are: 10,000 promised reads cost 4× the store's own hydration.
      for (const name of readdirSync(sessionsDir)) JSON.parse(readFileSync(join(sessionsDir, name), 'utf8'))
    }
    for (const [layout, path, raw] of [
      ['one file', file, rawFile],
      ['folder', `${folder}/`, rawFolder],
    ] as const) {
      const hydrate = async () => {
        const listed = await fileStore(path, { plaintextKeys: true }).list()
        if (listed.length !== sessions.length) throw new Error(`hydrated ${listed.length} sessions, not ${sessions.length}`)
      }
      const paired = await compare({ floor: { name: 'raw read + JSON.parse', run: raw }, subject: { name: `fileStore (${layout}) list() of 10,000, fresh store`, run: hydrate }, rounds: 15, batch: 1, warmup: 2 })
      console.log(describeComparison(paired, hydrationTarget))
      console.log(`  fileStore (${layout}): hydrate 10,000 sessions: median ${(paired.subject.wall / 1000).toFixed(1)} ms (target ≤ 200 ms: ${verdict(paired.subject.wall / 1000 <= 200)})`)
    }
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}

/** A whole `wallet_sendCalls` signed by a session key over a redisStore: Redis commands counted at the client. */
async function redisPerSignature(): Promise<void> {
  await withCountingRedis('Redis round trips per signature', async (client) => {
    // The instant wallet, as every send bench: one that recovers each signer in JavaScript spends ~6 ms of CPU a send of its own.
    const provider = withSessionKeys(instantWallet(), {
      now: () => now,
      store: redisStore(client, { encryptionKey: crypto.getRandomValues(new Uint8Array(32)), namespace: 'bench' }),
    })
    const granted = (await provider.request({ method: 'wallet_grantPermissions', params: grantRequest(await provider.sessions.importKey(generatePrivateKey())) })) as { permissionsContext: string }
    const request = sendRequest(granted.permissionsContext)
    const send = () => provider.request(request)
    await send() // first signature decrypts the key and loads the scripts
    const signatures = 500
    const before = client.sent()
    const rate = await throughput(send, { operations: signatures, block: 100 })
    console.log(`redisStore: ${((client.sent() - before) / signatures).toFixed(1)} Redis round trips per signature, one at a time on localhost:`)
    console.log(`  ${describeThroughput('signed wallet_sendCalls', rate)}`)
  })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run()
