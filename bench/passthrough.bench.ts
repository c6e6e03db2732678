/**
 * The cost of keyleash on a method it does not own: the same `eth_chainId` on an inner
 * provider that answers at once, called directly, through `withSessionKeys`, and through a
 * `@metamask/json-rpc-engine` provider whose one middleware hands the request to the same
 * inner provider (what a wallet's own middleware stack costs doing nothing). Each is paired
 * with the direct call in rounds whose order rotates (bench/timing.ts), CPU time beside wall:
 * measured one after the other, keyleash's added time moved from −75 to +89 ns between runs of
 * one code. Taken in several fresh processes: within one, the per-round figures agree to a few
 * ns, but one process's median differed from the next's by 2× (34 to 78 ns), as the JIT settled.
 * Target: keyleash adds ≤ 60 ns a call of CPU time over the direct call (the median over the
 * processes of each one's median of per-round differences).
 * Run alone: node --import tsx bench/passthrough.bench.ts
 */
import { fileURLToPath } from 'node:url'
import { JsonRpcEngine } from '@metamask/json-rpc-engine'
import type { Json } from '@metamask/utils'
import { withSessionKeys } from '../src/provider.js'
import type { RequestArguments } from '../src/types.js'
import { verdict } from './instantWallet.js'
import { compare, describeComparison, inFreshProcesses, printLoad, spread, type Comparison, type Spread } from './timing.js'

const budgetNs = 60
// A call takes ~0.1–0.3 µs: batches of 2,000, so that reading the clocks (CPU time's µs grain) is a small part of a batch.
const rounds = 600
const batch = 2_000
const warmup = 60
const processes = 5
// Set in the fresh processes this bench starts: they measure and answer in JSON.
const measureFlag = 'KEYLEASH_BENCH_PASSTHROUGH'

type Measured = { keyleash: Comparison; engined: Comparison }

/** Prints what keyleash and json-rpc-engine add to a call, in ns: per fresh process, then the median over them. */
export async function run(): Promise<void> {
  printLoad('passthrough')
  const measured = inFreshProcesses<Measured>(measureFlag, 'measure', processes)
  console.log(describeComparison(measured[0]!.keyleash))
  console.log(describeComparison(measured[0]!.engined))
  const ns = (added: Spread) => `${(added.median * 1000).toFixed(1)} ns (p25–p75 ${(added.p25 * 1000).toFixed(1)}–${(added.p75 * 1000).toFixed(1)})`
  console.log(`\n(the first of ${processes} fresh processes, above); what each adds to a call, CPU, the median of its per-round differences (p25–p75):`)
  for (const [i, { keyleash, engined }] of measured.entries()) console.log(`  process ${i + 1}: keyleash ${ns(keyleash.added.cpu)}, json-rpc-engine ${ns(engined.added.cpu)}`)
  const over = (side: keyof Measured, clock: 'cpu' | 'wall') => spread(measured.map((process) => process[side].added[clock].median))
  const keyleash = over('keyleash', 'cpu')
  const engined = over('engined', 'cpu')
  console.log(`keyleash adds ${ns(keyleash)} CPU a call, ${ns(over('keyleash', 'wall'))} wall: medians over ${processes} processes (target ≤ +${budgetNs} ns CPU: ${verdict(keyleash.median * 1000 <= budgetNs)})`)
  console.log(`json-rpc-engine adds ${ns(engined)} CPU a call (${(engined.median / Math.max(keyleash.median, 0.001)).toFixed(0)}× keyleash's)`)
  printLoad('passthrough')
}

/** In a fresh process: both comparisons, paired with the direct call. */
async function measure(): Promise<Measured> {
  // An instant wallet: a resolved promise, nothing else, so only the wrappers' cost differs.
  const chainId = Promise.resolve('0x1')
  const inner = { request: (_args: RequestArguments): Promise<unknown> => chainId }
  const wrapped = withSessionKeys(inner)
  const engine = new JsonRpcEngine()
  engine.push((request, response, _next, end) => {
    inner.request(request).then((result) => {
      response.result = result as Json
      end()
    }, end)
  })
  let id = 0
  const engineProvider = {
    async request(args: RequestArguments): Promise<unknown> {
      const response = await engine.handle({ jsonrpc: '2.0', id: ++id, method: args.method })
      if ('error' in response) throw response.error
      return response.result
    },
  }
  const args = { method: 'eth_chainId' } as const
  const direct = { name: 'direct eth_chainId', run: () => inner.request(args) }
  const keyleash = await compare({ floor: direct, subject: { name: 'keyleash eth_chainId', run: () => wrapped.request(args) }, rounds, batch, warmup })
  const engined = await compare({ floor: direct, subject: { name: 'json-rpc-engine eth_chainId', run: () => engineProvider.request(args) }, rounds, batch, warmup })
  return { keyleash, engined }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.env[measureFlag] === undefined) await run()
  else process.stdout.write(JSON.stringify(await measure()))
}
