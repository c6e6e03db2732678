// A whole grant as an app makes it: `wallet_grantPermissions` through keyleash on an instant
// wallet (parse, check, encode, the wallet's answer decoded and narrowed, the session stored,
// the answer encoded), with a signer the app imported and with a key keyleash makes, on the
// memory store. Throughput is total grants over total time, the store growing as it does in an
// app (every grant stays in it), garbage collection inside the window: in the steady state of a
// long-lived process, and over the first 1,000 grants of fresh processes (a serverless function,
// a CLI). Target: ≥ 50,000 grants a CPU second with a signer, in the steady state.
// Run alone: node --import tsx bench/grant.bench.ts
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { generatePrivateKey } from 'viem/accounts'
import { withSessionKeys } from '../src/provider.js'
import { grantRequest, instantWallet, now, verdict } from './instantWallet.js'
import { describeThroughput, printLoad, spread, throughput, type Throughput } from './timing.js'

const target = 50_000
const warmup = 10_000
const measured = 20_000
const cold = 1_000
const coldProcesses = 7
// Set in the fresh processes this bench starts: they time their first grants and answer in JSON.
const coldFlag = 'KEYLEASH_BENCH_COLD_GRANTS'

async function grants() {
  const provider = withSessionKeys(instantWallet(), { now: () => now })
  const key = await provider.sessions.importKey(generatePrivateKey())
  const withSigner = { method: 'wallet_grantPermissions', params: grantRequest(key) }
  const withoutSigner = { method: 'wallet_grantPermissions', params: grantRequest() }
  return { signed: () => provider.request(withSigner), keyMade: () => provider.request(withoutSigner) }
}

export async function run(): Promise<void> {
  printLoad('grant')
  const fresh = coldRuns()
  const round = (n: number) => Math.round(n).toLocaleString('en')
  console.log(
    `grant round trip, signer given, first ${cold.toLocaleString('en')} grants of a fresh process: median ${round(fresh.cpu.median)}/s CPU (p25–p75 ${round(fresh.cpu.p25)}–${round(fresh.cpu.p75)} over ${coldProcesses} processes), ${round(fresh.wall.median)}/s wall`,
  )
  const { signed, keyMade } = await grants()
  await throughput(signed, { operations: warmup })
  const steady = await throughput(signed, { operations: measured })
  console.log(`${describeThroughput(`grant round trip, signer given, steady state (after ${warmup.toLocaleString('en')}; store ${warmup.toLocaleString('en')} → ${(warmup + measured).toLocaleString('en')} sessions)`, steady)}; target ≥ ${round(target)}/s CPU: ${verdict(steady.cpu >= target)}`)
  const made = await throughput(keyMade, { operations: 2_000, block: 200 })
  console.log(describeThroughput('grant round trip, key made by keyleash, steady state', made))
  printLoad('grant')
}

/** The first grants of `coldProcesses` fresh processes, each started for it: grants a second, CPU and wall. */
function coldRuns() {
  const cpu: number[] = []
  const wall: number[] = []
  for (let i = 0; i < coldProcesses; i++) {
    const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1] as string], { env: { ...process.env, [coldFlag]: '1' }, encoding: 'utf8' })
    if (child.status !== 0) throw new Error(`grant bench: a fresh process failed: ${child.stderr}`)
    const rate = JSON.parse(child.stdout) as Throughput
    cpu.push(rate.cpu)
    wall.push(rate.wall)
  }
  return { cpu: spread(cpu), wall: spread(wall) }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.env[coldFlag] === undefined) await run()
  else process.stdout.write(JSON.stringify(await throughput((await grants()).signed, { operations: cold })))
}
