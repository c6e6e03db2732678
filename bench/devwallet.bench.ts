/**
 * The dev wallet's speed, on a real anvil: how long a chain takes to start, how long a grant
 * takes from the app through keyleash to a mined registration and back, and how many
 * owner-signed batches (`wallet_sendCalls` → confirmed status) go through per second.
 * Timed by hand (each figure is a median of a few real round-trips): these are milliseconds
 * of I/O, not nanoseconds of CPU, and the whole file stays well under 20 s.
 */
import { fileURLToPath } from 'node:url'
import { createWalletClient, custom } from 'viem'
import { generatePrivateKey } from 'viem/accounts'
import { anvil } from 'viem/chains'
import { erc7715Actions } from 'viem/experimental'
import { demoNftAbi } from '../src/devwallet/artifacts.js'
import { startDevChain } from '../src/devwallet/chain.js'
import { createDevWallet } from '../src/devwallet/wallet.js'
import { withSessionKeys } from '../src/provider.js'

const chainStarts = 5
const grants = 50
const batches = 100

/** Runs the dev wallet benches and prints chain start, grant round-trip and owner-signed calls per second. */
export async function run(): Promise<void> {
  const starts: number[] = []
  for (let i = 0; i < chainStarts; i++) {
    const started = performance.now()
    const chain = await startDevChain()
    starts.push(performance.now() - started)
    await chain.stop()
  }
  console.log(`chain start (startDevChain, to answering eth_chainId): median ${ms(median(starts))} over ${chainStarts}`)

  const chain = await startDevChain()
  try {
    const created = performance.now()
    const wallet = await createDevWallet({ rpcUrl: chain.rpcUrl })
    console.log(`createDevWallet (fund, deploy account + NFT + token): ${ms(performance.now() - created)}`)

    // A fresh anvil keeps the system's time, so keyleash's default clock agrees with the chain's.
    const provider = withSessionKeys(wallet.provider)
    const client = createWalletClient({ account: wallet.account, chain: anvil, transport: custom(provider) }).extend(erc7715Actions())
    const grantTimes: number[] = []
    let context = ''
    for (let i = 0; i < grants; i++) {
      const key = await provider.sessions.importKey(generatePrivateKey())
      const started = performance.now()
      ;({ permissionsContext: context } = await client.grantPermissions({
        expiry: 60 * 60 * 24,
        signer: { type: 'account', data: { id: key } },
        permissions: [{ type: 'contract-call', data: { address: wallet.contracts.nft, calls: ['mint(address)'] }, policies: [] }],
      }))
      grantTimes.push(performance.now() - started)
    }
    console.log(`grant round-trip through keyleash (parse, prompt, owner-signed registerSession mined, answer): median ${ms(median(grantTimes))}, mean ${ms(mean(grantTimes))} over ${grants}`)

    const mint = { to: wallet.contracts.nft, abi: demoNftAbi, functionName: 'mint', args: [wallet.account] } as const
    const sendAndConfirm = async () => {
      const { id } = await client.sendCalls({ calls: [mint] })
      await client.waitForCallsStatus({ id, pollingInterval: 5 })
    }
    let started = performance.now()
    for (let i = 0; i < batches; i++) await sendAndConfirm()
    const sequential = batches / ((performance.now() - started) / 1000)
    started = performance.now()
    await Promise.all(Array.from({ length: batches }, sendAndConfirm))
    const concurrent = batches / ((performance.now() - started) / 1000)
    console.log(`owner-signed calls (wallet_sendCalls → status 200): ${sequential.toFixed(0)}/s one at a time, ${concurrent.toFixed(0)}/s ${batches} at once`)

    // For comparison: the same mint under the last session, signed by its key through keyleash (ERC-7836, no prompt).
    started = performance.now()
    for (let i = 0; i < batches; i++) {
      const { id } = await client.sendCalls({ calls: [mint], capabilities: { permissions: { context } } })
      await client.waitForCallsStatus({ id, pollingInterval: 5 })
    }
    console.log(`session-key calls (keyleash check + wallet_prepareCalls + sign + wallet_sendPreparedCalls → status 200): ${(batches / ((performance.now() - started) / 1000)).toFixed(0)}/s one at a time`)
    await wallet.close()
  } finally {
    await chain.stop()
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length
}

function ms(value: number): string {
  return `${value.toFixed(1)} ms`
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run()
