// A session-signed `wallet_sendCalls` (with its permissions context) through keyleash, against
// its floor: viem signing the digest with the same key plus the same two ERC-7836 requests
// (`wallet_prepareCalls`, `wallet_sendPreparedCalls`) on the same instant wallet. Target: a
// ratio of medians ≤ 1.03. Run alone: node --import tsx bench/sendCalls.bench.ts
import { fileURLToPath } from 'node:url'
import { encodeFunctionData, numberToHex, parseAbi, type Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { withSessionKeys } from '../src/provider.js'
import { account, chainId, grantRequest, instantWallet, median, nft, now, verdict } from './instantWallet.js'

const target = 1.03
// Steady state, as an app that sends all day sees it: over the first few thousand sends V8 is
// still optimizing keyleash's longer path (3,000 rounds after 200 measured 1.045, where these
// settle at 1.02–1.03).
const rounds = 20_000
const warmup = 2_000

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

  // Timed by hand and interleaved, one floor then one keyleash call, so that whatever else the
  // machine is doing falls on both alike; the first rounds warm up and are left out.
  const floorTimes: number[] = []
  const keyleashTimes: number[] = []
  for (let round = 0; round < rounds + warmup; round++) {
    let started = performance.now()
    await floor()
    const floorTime = performance.now() - started
    started = performance.now()
    await provider.request(send)
    const keyleashTime = performance.now() - started
    if (round < warmup) continue
    floorTimes.push(floorTime)
    keyleashTimes.push(keyleashTime)
  }
  // Round by round, what keyleash added: its own cost, free of whatever drifted between rounds.
  const added = median(keyleashTimes.map((time, round) => time - (floorTimes[round] as number))) * 1000
  const [bottom, through] = [median(floorTimes) * 1000, median(keyleashTimes) * 1000]
  const ratio = through / bottom
  console.log(
    `session-signed wallet_sendCalls: ${through.toFixed(1)} µs vs floor ${bottom.toFixed(1)} µs (medians of ${rounds.toLocaleString('en')} interleaved rounds): ${ratio.toFixed(3)}× (target ≤ ${target}×: ${verdict(ratio <= target)}); keyleash's own work ${added.toFixed(1)} µs a send (median of the rounds' differences)`,
  )
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run()
