// Session stores: memory store get/put per second; hydrating 10,000 sessions from the file
// store (target ≤ 200 ms, both layouts); Redis round trips (and time) per signature.
// Run: node --import tsx bench/stores.bench.ts  (Redis part needs redis-server: scripts/ensure-redis.sh)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
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
import { scriptedPreparer } from '../test/utils/scriptedPreparer.js'
import { grantMint, nft, now, scriptedWallet, sendMint } from '../test/utils/scriptedWallet.js'
import { sessionFixture } from '../test/utils/sessionFixture.js'
import { withCountingRedis } from './countingRedis.js'

export async function run(): Promise<void> {
  await memoryGetPut()
  await hydrate()
  await redisPerSignature()
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
  ] as const) {
    const started = performance.now()
    let count = 0
    while (performance.now() - started < 300) {
      await op()
      count++
    }
    console.log(`memoryStore.${name}: ${perSecond(count, performance.now() - started)} per second`)
  }
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
    for (const [layout, path] of [
      ['one file', file],
      ['folder', `${folder}/`],
    ] as const) {
      const times: number[] = []
      for (let i = 0; i < 7; i++) {
        const started = performance.now()
        const listed = await fileStore(path, { plaintextKeys: true }).list()
        times.push(performance.now() - started)
        if (listed.length !== sessions.length) throw new Error(`hydrated ${listed.length} sessions, not ${sessions.length}`)
      }
      times.sort((a, b) => a - b)
      console.log(`fileStore (${layout}): hydrate 10,000 sessions: median ${times[3]!.toFixed(1)} ms, best ${times[0]!.toFixed(1)} ms (target ≤ 200 ms)`)
    }
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}

/** A whole `wallet_sendCalls` signed by a session key over a redisStore: Redis commands counted at the client. */
async function redisPerSignature(): Promise<void> {
  await withCountingRedis('Redis round trips per signature', async (client) => {
    const preparer = scriptedPreparer()
    const provider = withSessionKeys(scriptedWallet('erc7715', preparer.script), {
      now: () => now,
      store: redisStore(client, { encryptionKey: crypto.getRandomValues(new Uint8Array(32)), namespace: 'bench' }),
    })
    const context = await grantMint(provider, await provider.sessions.importKey(generatePrivateKey()))
    const send = () => sendMint(provider, context)
    await send() // first signature decrypts the key and loads the scripts
    const signatures = 500
    const before = client.sent()
    const started = performance.now()
    for (let i = 0; i < signatures; i++) await send()
    const elapsed = performance.now() - started
    console.log(
      `redisStore: ${((client.sent() - before) / signatures).toFixed(1)} Redis round trips per signature; ${(elapsed / signatures).toFixed(2)} ms per signed wallet_sendCalls on localhost (${perSecond(signatures, elapsed)} per second, one at a time)`,
    )
  })
}

function perSecond(count: number, ms: number): string {
  return Math.round(count / (ms / 1000)).toLocaleString('en')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run()
