// A whole grant as an app makes it: `wallet_grantPermissions` through keyleash on an instant
// wallet (parse, check, encode, the wallet's answer decoded and narrowed, the session stored,
// the answer encoded), with a signer the app imported and with a key keyleash makes, on the
// memory store. Throughput is total grants over total time, the store growing as it does in an
// app (every grant stays in it), garbage collection inside the window: in the steady state of a
// long-lived process, and over the first 1,000 grants of fresh processes (a serverless function,
// a CLI). Target: ≥ 50,000 grants a CPU second with a signer, in the steady state. Both are
// taken in several fresh processes and printed as the median with its spread: one process's
// steady state swings by a quarter from the next's (where the JIT and the heap settle), so a
// single figure says little.
// Run alone: node --import tsx bench/grant.bench.ts
import { fileURLToPath } from 'node:url'
import { generatePrivateKey } from 'viem/accounts'
import { withSessionKeys } from '../src/provider.js'
import { grantRequest, instantWallet, now, verdict } from './instantWallet.js'
import { describeThroughput, inFreshProcesses, printLoad, spread, throughput, type Throughput } from './timing.js'

const target = 50_000
const warmup = 10_000
const measured = 20_000
const cold = 1_000
const coldProcesses = 7
const steadyProcesses = 5
// Set in the fresh processes this bench starts (to 'cold' or 'steady'): they time their grants and answer in JSON.
const phaseFlag = 'KEYLEASH_BENCH_GRANTS'

async function grants() {
  const provider = withSessionKeys(instantWallet(), { now: () => now })
  const key = await provider.sessions.importKey(generatePrivateKey())
  const withSigner = { method: 'wallet_grantPermissions', params: grantRequest(key) }
  const withoutSigner = { method: 'wallet_grantPermissions', params: grantRequest() }
  return { signed: () => provider.request(withSigner), keyMade: () => provider.request(withoutSigner) }
}

export async function run(): Promise<void> {
  printLoad('grant')
  const round = (n: number) => Math.round(n).toLocaleString('en')
  const fresh = freshRuns('cold', coldProcesses)
  console.log(
    `grant round trip, signer given, first ${cold.toLocaleString('en')} grants of a fresh process: median ${round(fresh.cpu.median)}/s CPU (p25–p75 ${round(fresh.cpu.p25)}–${round(fresh.cpu.p75)} over ${coldProcesses} processes), ${round(fresh.wall.median)}/s wall`,
  )
  const steady = freshRuns('steady', steadyProcesses)
  console.log(
    `grant round trip, signer given, steady state (after ${warmup.toLocaleString('en')}; store ${warmup.toLocaleString('en')} → ${(warmup + measured).toLocaleString('en')} sessions; ${measured.toLocaleString('en')} operations, GC inside): median ${round(steady.cpu.median)}/s CPU (p25–p75 ${round(steady.cpu.p25)}–${round(steady.cpu.p75)} over ${steadyProcesses} processes), ${round(steady.wall.median)}/s wall; target ≥ ${round(target)}/s CPU: ${verdict(steady.cpu.median >= target)}`,
  )
  const made = await throughput((await grants()).keyMade, { operations: 2_000, block: 200 })
  console.log(describeThroughput('grant round trip, key made by keyleash, steady state', made))
  printLoad('grant')
}

/** Grants a second (CPU and wall) in `processes` fresh processes, each started for it: its first grants, or its steady state. */
function freshRuns(phase: 'cold' | 'steady', processes: number) {
  const rates = inFreshProcesses<Throughput>(phaseFlag, phase, processes)
  return { cpu: spread(rates.map((rate) => rate.cpu)), wall: spread(rates.map((rate) => rate.wall)) }
}

/** In a fresh process: the first grants, or the steady state after a warm-up, as JSON on stdout. */
async function phase(name: string): Promise<Throughput> {
  const { signed } = await grants()
  if (name === 'cold') return throughput(signed, { operations: cold })
  await throughput(signed, { operations: warmup })
  return throughput(signed, { operations: measured })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const name = process.env[phaseFlag]
  if (name === undefined) await run()
  else process.stdout.write(JSON.stringify(await phase(name)))
}
