// A whole grant as an app makes it: `wallet_grantPermissions` through keyleash on an instant
// wallet (parse, check, encode, the wallet's answer decoded and narrowed, the session stored,
// the answer encoded), with a signer the app imported and with a key keyleash makes. Target:
// ≥ 50,000 grants a second with a signer, on the memory store.
// Run alone: node --import tsx bench/grant.bench.ts
import { fileURLToPath } from 'node:url'
import { bench, do_not_optimize, run as runBenches, summary } from 'mitata'
import { generatePrivateKey } from 'viem/accounts'
import { withSessionKeys } from '../src/provider.js'
import { grantRequest, instantWallet, now, verdict } from './instantWallet.js'

const target = 50_000

export async function run(): Promise<void> {
  const provider = withSessionKeys(instantWallet(), { now: () => now })
  const key = await provider.sessions.importKey(generatePrivateKey())
  const withSigner = { method: 'wallet_grantPermissions', params: grantRequest(key) }
  const withoutSigner = { method: 'wallet_grantPermissions', params: grantRequest() }

  summary(() => {
    bench('grant round trip, signer given (memory store)', async () => do_not_optimize(await provider.request(withSigner)))
    bench('grant round trip, key made by keyleash (memory store)', async () => do_not_optimize(await provider.request(withoutSigner)))
  })
  const { benchmarks } = await runBenches()
  const perSecond = (name: string) => 1e9 / (benchmarks.find((b) => b.alias.startsWith(name))?.runs[0]?.stats?.p50 ?? Number.NaN)
  const signed = perSecond('grant round trip, signer given')
  console.log(`\ngrant round trip, signer given: ${Math.round(signed).toLocaleString('en')}/s (median; target ≥ ${target.toLocaleString('en')}/s: ${verdict(signed >= target)})`)
  console.log(`grant round trip, key made by keyleash: ${Math.round(perSecond('grant round trip, key made')).toLocaleString('en')}/s (median)`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run()
