// A session-signed `wallet_sendCalls` (with its permissions context) through keyleash, against
// its floor: viem signing the digest with the same key plus the same two ERC-7836 requests
// (`wallet_prepareCalls`, `wallet_sendPreparedCalls`) on the same instant wallet. Target: the
// median of per-round CPU ratios ≤ 1.03. Run alone: node --import tsx bench/sendCalls.bench.ts
import { fileURLToPath } from 'node:url'
import { numberToHex, type Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { withSessionKeys } from '../src/provider.js'
import { account, chainId, grantRequest, instantWallet, mintCalls as calls, now, sendRequest } from './instantWallet.js'
import { compare, describeComparison, printLoad } from './timing.js'

const target = 1.03
// Steady state, as an app that sends all day sees it: over the first few thousand sends V8 is
// still optimizing keyleash's longer path. 800 rounds of 25 sends a side after 80 rounds.
const rounds = 800
const batch = 25
const warmup = 80

export async function run(): Promise<void> {
  const inner = instantWallet()
  const provider = withSessionKeys(inner, { now: () => now })
  const privateKey = generatePrivateKey()
  const direct = privateKeyToAccount(privateKey)
  const key = await provider.sessions.importKey(privateKey)
  const { permissionsContext: context } = (await provider.request({ method: 'wallet_grantPermissions', params: grantRequest(key) })) as { permissionsContext: string }
  const send = sendRequest(context)

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

  // Paired, in turns: on a machine shared with other work, whatever it does falls on both alike.
  printLoad('sendCalls')
  const paired = await compare({ floor: { name: 'floor', run: floor }, subject: { name: 'keyleash', run: () => provider.request(send) }, rounds, batch, warmup })
  console.log(describeComparison(paired, target))
  printLoad('sendCalls')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run()
