// A session-signed `wallet_sendCalls` (with its permissions context) through keyleash, against
// its floor: viem signing the digest with the same key plus the same two ERC-7836 requests
// (`wallet_prepareCalls`, `wallet_sendPreparedCalls`) on the same instant wallet. Target: a
// ratio of medians ≤ 1.03. Run alone: node --import tsx bench/sendCalls.bench.ts
import { fileURLToPath } from 'node:url'
import { bench, do_not_optimize, run as runBenches, summary } from 'mitata'
import { encodeFunctionData, numberToHex, parseAbi, type Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { withSessionKeys } from '../src/provider.js'
import { account, chainId, grantRequest, instantWallet, nft, now, verdict } from './instantWallet.js'

const target = 1.03

export async function run(): Promise<void> {
  const inner = instantWallet()
  const provider = withSessionKeys(inner, { now: () => now })
  const privateKey = generatePrivateKey()
  const direct = privateKeyToAccount(privateKey)
  const key = await provider.sessions.importKey(privateKey)
  const { permissionsContext: context } = (await provider.request({ method: 'wallet_grantPermissions', params: grantRequest(key) })) as { permissionsContext: string }
  const data = encodeFunctionData({ abi: parseAbi(['function mint(address to)']), functionName: 'mint', args: [account] })
  const calls = [{ to: nft, data }]
  const send = { method: 'wallet_sendCalls', params: [{ version: '2.0.0', chainId: numberToHex(chainId), atomicRequired: true, calls, capabilities: { permissions: { context } } }] }

  // What any session-key client must do at the least: ask the wallet to prepare, sign its digest, send.
  const floor = async () => {
    const keyOf = { type: 'secp256k1', publicKey: direct.address }
    const prepared = (await inner.request({
      method: 'wallet_prepareCalls',
      params: [{ version: '1.0', from: account, chainId: numberToHex(chainId), calls, capabilities: { permissions: { context } }, key: keyOf }],
    })) as { chainId: Hex; context: unknown; digest: Hex; key: unknown }
    const signature = await direct.sign({ hash: prepared.digest })
    return inner.request({ method: 'wallet_sendPreparedCalls', params: [{ chainId: prepared.chainId, context: prepared.context, key: prepared.key, signature }] })
  }

  summary(() => {
    bench('floor: viem signs the digest + the two ERC-7836 requests', async () => do_not_optimize(await floor())).baseline(true)
    bench('wallet_sendCalls through keyleash, session-signed (context)', async () => do_not_optimize(await provider.request(send)))
  })
  const { benchmarks } = await runBenches()
  const p50 = (name: string) => benchmarks.find((b) => b.alias.startsWith(name))?.runs[0]?.stats?.p50 ?? Number.NaN
  const [bottom, through] = [p50('floor'), p50('wallet_sendCalls')]
  const ratio = through / bottom
  console.log(
    `\nsession-signed wallet_sendCalls: ${(through / 1000).toFixed(1)} µs vs floor ${(bottom / 1000).toFixed(1)} µs (medians): ${ratio.toFixed(3)}× (target ≤ ${target}×: ${verdict(ratio <= target)})`,
  )
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run()
