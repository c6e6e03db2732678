/**
 * The cost of keyleash on a method it does not own: the same `eth_chainId` on an inner
 * provider that answers at once, called directly, through `withSessionKeys`, and through a
 * `@metamask/json-rpc-engine` provider whose one middleware hands the request to the same
 * inner provider (what a wallet's own middleware stack costs doing nothing). Each is paired
 * with the direct call in rounds whose order rotates (bench/timing.ts), CPU time beside wall:
 * measured one after the other, keyleash's added time moved from −75 to +89 ns between runs of
 * one code. Target: keyleash adds ≤ 60 ns a call of CPU time over the direct call (the median
 * of per-round differences). Run alone: node --import tsx bench/passthrough.bench.ts
 */
import { fileURLToPath } from 'node:url'
import { JsonRpcEngine } from '@metamask/json-rpc-engine'
import type { Json } from '@metamask/utils'
import { withSessionKeys } from '../src/provider.js'
import type { RequestArguments } from '../src/types.js'
import { verdict } from './instantWallet.js'
import { compare, describeComparison, printLoad, type Comparison, type Spread } from './timing.js'

const budgetNs = 60
// A call takes ~0.1–0.3 µs: batches of 2,000, so that reading the clocks (CPU time's µs grain) is a small part of a batch.
const rounds = 600
const batch = 2_000
const warmup = 60

/** Runs the pass-through comparisons and prints what keyleash and json-rpc-engine add to a call, in ns. */
export async function run(): Promise<void> {
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

  printLoad('passthrough')
  const keyleash = await compare({ floor: direct, subject: { name: 'keyleash eth_chainId', run: () => wrapped.request(args) }, rounds, batch, warmup })
  console.log(describeComparison(keyleash))
  const engined = await compare({ floor: direct, subject: { name: 'json-rpc-engine eth_chainId', run: () => engineProvider.request(args) }, rounds, batch, warmup })
  console.log(describeComparison(engined))

  const ns = (added: Spread) => `${(added.median * 1000).toFixed(1)} ns (p25–p75 ${(added.p25 * 1000).toFixed(1)}–${(added.p75 * 1000).toFixed(1)})`
  const overhead = (paired: Comparison) => paired.added.cpu.median * 1000
  console.log(`\nkeyleash adds ${ns(keyleash.added.cpu)} CPU a call, ${ns(keyleash.added.wall)} wall (target ≤ +${budgetNs} ns CPU: ${verdict(overhead(keyleash) <= budgetNs)})`)
  console.log(`json-rpc-engine adds ${ns(engined.added.cpu)} CPU a call (${(overhead(engined) / Math.max(overhead(keyleash), 1)).toFixed(0)}× keyleash's)`)
  printLoad('passthrough')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run()
