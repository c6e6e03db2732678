// What each operation costs with 1, 100 and 10,000 sessions already in the store, as an app
// runs it through keyleash on an instant wallet: a grant (signer given), the auto-routed send
// that follows it, a send with its context, `sessions.check`, and `sessions.revoke`. The other
// sessions all cover the same target (the worst case for auto-routing) and share one key (the
// worst case for revoke's shared-key check). Each operation is timed by hand, one at a time,
// in the same loop, so a grant is followed by the lookups that must see it; medians.
// Target (memory store): every operation at 10,000 sessions within 1.5× of the same at 1.
// The file store's figures are reported, not held to the target (its redesign is issue 15).
// Run alone: node --import tsx bench/scaling.bench.ts
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { encodeFunctionData, numberToHex, parseAbi, type Address } from 'viem'
import { generatePrivateKey } from 'viem/accounts'
import { withSessionKeys } from '../src/provider.js'
import { memoryStore } from '../src/sessions/memoryStore.js'
import { fileStore } from '../src/sessions/stores/fileStore.js'
import { encodeSession } from '../src/sessions/stores/serialize.js'
import type { Session, SessionStore } from '../src/sessions/types.js'
import { account, chainId, grantRequest, instantWallet, median, nft, now, verdict } from './instantWallet.js'
import { enforcedBy, enforcedRules } from '../src/permissions/enforcement.js'

const sizes = [1, 100, 10_000] as const
const operations = ['grant', 'auto-routed send', 'send with context', 'check', 'revoke'] as const
const targetRatio = 1.5
// Per (store, size): at most this many rounds of the five operations, or this long.
const maxRounds = 300
const budgetMs = 1500

type Operation = (typeof operations)[number]
type Figures = Record<Operation, number>

/** A store holding `count` live sessions on the NFT, all signed by one key, and that key. */
type Filled = { store: SessionStore; key: Address; close(): void }

export async function run(): Promise<void> {
  const memory = await table('memory store', async (count) => {
    const store = memoryStore()
    const key = await store.keys.import(generatePrivateKey())
    for (let i = 0; i < count; i++) await store.put(filler(i, key))
    return { store, key, close() {} }
  })
  report('memory store', memory, true)
  const file = await table('file store (one file)', async (count) => {
    const dir = mkdtempSync(join(tmpdir(), 'keyleash-scaling-'))
    const path = join(dir, 'sessions.jsonl')
    const key = await fileStore(path, { plaintextKeys: true }).keys.import(generatePrivateKey())
    // Written straight in the file's format: 10,000 puts would rewrite the whole file 10,000 times.
    let lines = ''
    for (let i = 0; i < count; i++) lines += `${JSON.stringify(['keyleash', 's', `filler-${i}`])}\t${encodeSession(filler(i, key))}\n`
    appendFileSync(path, lines)
    return { store: fileStore(path, { plaintextKeys: true }), key, close: () => rmSync(dir, { recursive: true, force: true }) }
  })
  report('file store (one file)', file, false)
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

async function table(name: string, fill: (count: number) => Promise<Filled>): Promise<Map<number, Figures>> {
  const figures = new Map<number, Figures>()
  for (const size of sizes) {
    const { store, key, close } = await fill(size)
    try {
      figures.set(size, await measure(store, key))
    } finally {
      close()
    }
    console.log(`${name}: ${size.toLocaleString('en')} sessions measured`)
  }
  return figures
}

async function measure(store: SessionStore, key: Address): Promise<Figures> {
  const provider = withSessionKeys(instantWallet(), { now: () => now, store, autoRoute: true })
  const grant = { method: 'wallet_grantPermissions', params: grantRequest(key) }
  const data = encodeFunctionData({ abi: parseAbi(['function mint(address to)']), functionName: 'mint', args: [account] })
  const calls = [{ to: nft, data }]
  const send = (capabilities: object) => ({ method: 'wallet_sendCalls', params: [{ version: '2.0.0', chainId: numberToHex(chainId), atomicRequired: true, calls, capabilities }] })
  const autoRouted = send({})
  const samples: Record<Operation, number[]> = { grant: [], 'auto-routed send': [], 'send with context': [], check: [], revoke: [] }
  const timed = async <T>(operation: Operation, task: () => Promise<T>): Promise<T> => {
    const started = performance.now()
    const result = await task()
    samples[operation].push(performance.now() - started)
    return result
  }

  const started = performance.now()
  for (let round = 0; round < maxRounds && (round < 5 || performance.now() - started < budgetMs); round++) {
    const { permissionsContext: context } = (await timed('grant', () => provider.request(grant))) as { permissionsContext: string }
    await timed('auto-routed send', () => provider.request(autoRouted))
    await timed('send with context', () => provider.request(send({ permissions: { context } })))
    const checked = await timed('check', () => provider.sessions.check(context, calls, { chainId }))
    if (!checked.allowed) throw new Error(`scaling bench: session ${context} should fit its own call`)
    await timed('revoke', () => provider.sessions.revoke(context))
    // Purged, untimed, so every round starts with the same sessions in the store.
    await store.delete(context)
  }
  // The first two rounds warm up the code and the caches; a real app is past them.
  const figures = {} as Figures
  for (const operation of operations) figures[operation] = median(samples[operation].slice(2)) * 1000
  return figures
}

function report(name: string, figures: Map<number, Figures>, held: boolean): void {
  const cell = (us: number) => `${us.toFixed(1)} µs`.padStart(12)
  console.log(`\n${name}: median µs per operation, by sessions in the store${held ? ` (target: 10,000 within ${targetRatio}× of 1)` : ' (reported, no target)'}`)
  console.log(`${'operation'.padEnd(18)}${sizes.map((size) => size.toLocaleString('en').padStart(12)).join('')}  10,000 / 1`)
  for (const operation of operations) {
    const row = sizes.map((size) => figures.get(size)?.[operation] ?? Number.NaN)
    const ratio = (row[2] as number) / (row[0] as number)
    console.log(`${operation.padEnd(18)}${row.map(cell).join('')}  ${ratio.toFixed(2)}×${held ? ` ${verdict(ratio <= targetRatio)}` : ''}`)
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run()
