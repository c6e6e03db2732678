/**
 * The cost of keyleash on a method it does not own: the same `eth_chainId` on an inner
 * provider that answers at once, called directly and through `withSessionKeys`. The
 * budget is 0.1 µs (100 ns) a call over the direct call.
 */
import { fileURLToPath } from 'node:url'
import { bench, do_not_optimize, run as runMitata, summary } from 'mitata'
import { withSessionKeys } from '../src/provider.js'
import type { RequestArguments } from '../src/types.js'

const budgetNs = 100

/** Runs the pass-through benches and prints direct vs wrapped, in ns a call. */
export async function run(): Promise<void> {
  // An instant wallet: a resolved promise, nothing else, so only keyleash's cost differs.
  const chainId = Promise.resolve('0x1')
  const inner = { request: (_args: RequestArguments): Promise<unknown> => chainId }
  const wrapped = withSessionKeys(inner)
  const args = { method: 'eth_chainId' } as const

  summary(() => {
    bench('direct  eth_chainId', async () => do_not_optimize(await inner.request(args))).baseline(true)
    bench('wrapped eth_chainId', async () => do_not_optimize(await wrapped.request(args)))
  })
  const { benchmarks } = await runMitata()

  // The median as well as the mean: on a shared 2-core machine the mean moves with the neighbours.
  const [direct, through] = benchmarks.map((trial) => trial.runs[0]?.stats)
  if (direct === undefined || through === undefined) throw new Error('passthrough bench: missing results')
  const line = (label: string, a: number, b: number) =>
    `${label}: direct ${a.toFixed(1)} ns/call, wrapped ${b.toFixed(1)} ns/call, difference ${(b - a).toFixed(1)} ns`
  const overhead = through.p50 - direct.p50
  console.log(`\npass-through eth_chainId (budget ${budgetNs} ns a call)`)
  console.log(line('  mean  ', direct.avg, through.avg))
  console.log(`${line('  median', direct.p50, through.p50)} ${overhead <= budgetNs ? 'OK' : 'OVER BUDGET'}`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run()
