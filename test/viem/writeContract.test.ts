import { parseEventLogs } from 'viem'
import { beforeAll, expect, test } from 'vitest'
import { demoNftAbi } from '../../src/devwallet/artifacts.js'
import { useSharedChain } from '../utils/chain.js'
import { viemHarness } from './harness.js'
import { autoRouting } from '../../src/sessions/autoRouting.js'

/*
 * `autoRoute: autoRouting()`: plain viem `writeContract` (an `eth_sendTransaction`) that a live session
 * covers is signed with the session key, and viem gets a transaction hash it can wait for.
 */

const { rpcUrl } = useSharedChain()
const h = viemHarness(rpcUrl)

beforeAll(() => h.start(), 30_000)

test('default: writeContract under autoRoute returns a transaction hash whose receipt shows the mint, with no prompt', async () => {
  const { provider, client } = await h.granted({ autoRoute: autoRouting() })
  const prompts = h.wallet.prompts

  const hash = await client.writeContract({ address: h.wallet.contracts.nft, abi: demoNftAbi, functionName: 'mint', args: [h.wallet.account] })
  const receipt = await h.publicClient.waitForTransactionReceipt({ hash })

  expect(receipt.status).toBe('success')
  const [transfer] = parseEventLogs({ abi: demoNftAbi, logs: receipt.logs, eventName: 'Transfer' })
  expect(transfer?.args).toMatchObject({ from: '0x0000000000000000000000000000000000000000', to: h.wallet.account })
  expect(h.wallet.prompts).toBe(prompts)
  expect(provider.count('eth_sendTransaction')).toBe(1)
})

test('behavior: writeContract that no session covers goes to the wallet as it is (the dev wallet has no eth_sendTransaction: 4200)', async () => {
  const { provider, client } = h.client({ autoRoute: autoRouting() })
  const error = await client.writeContract({ address: h.wallet.contracts.token, abi: demoNftAbi, functionName: 'mint', args: [h.wallet.account] }).catch((e: unknown) => e)
  expect((error as { walk(fn: (e: unknown) => boolean): unknown }).walk((e) => (e as { code?: unknown }).code === 4200)).toBeDefined()
  expect(provider.count('eth_sendTransaction')).toBe(1)
})
