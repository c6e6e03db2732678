/**
 * The cost of keyleash on a method it does not own: the same `eth_chainId` on an inner
 * provider that answers at once, called directly, through `withSessionKeys`, and through a
 * `@metamask/json-rpc-engine` provider whose one middleware hands the request to the same
 * inner provider (what a wallet's own middleware stack costs doing nothing). Target: keyleash
 * adds ≤ 60 ns a call over the direct call (medians).
 */
import { fileURLToPath } from 'node:url'
import { JsonRpcEngine } from '@metamask/json-rpc-engine'
import type { Json } from '@metamask/utils'
import { bench, do_not_optimize, run as runMitata, summary } from 'mitata'
import { withSessionKeys } from '../src/provider.js'
import type { RequestArguments } from '../src/types.js'
import { verdict } from './instantWallet.js'

const budgetNs = 60

/** Runs the pass-through benches and prints direct, keyleash and json-rpc-engine, in ns a call. */
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

  summary(() => {
    bench('direct          eth_chainId', async () => do_not_optimize(await inner.request(args))).baseline(true)
    bench('keyleash        eth_chainId', async () => do_not_optimize(await wrapped.request(args)))
    bench('json-rpc-engine eth_chainId', async () => do_not_optimize(await engineProvider.request(args)))
  })
  const { benchmarks } = await runMitata()

  // Medians: on a shared 2-core machine the mean moves with the neighbours.
  const [direct, through, engined] = benchmarks.map((trial) => trial.runs[0]?.stats?.p50)
  if (direct === undefined || through === undefined || engined === undefined) throw new Error('passthrough bench: missing results')
  const overhead = through - direct
  console.log(`\npass-through eth_chainId (medians): direct ${direct.toFixed(1)} ns, keyleash ${through.toFixed(1)} ns, json-rpc-engine ${engined.toFixed(1)} ns`)
  console.log(`keyleash adds ${overhead.toFixed(1)} ns a call (target ≤ +${budgetNs} ns: ${verdict(overhead <= budgetNs)}); json-rpc-engine adds ${(engined - direct).toFixed(1)} ns (${((engined - direct) / Math.max(overhead, 1)).toFixed(0)}× keyleash's)`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run()
