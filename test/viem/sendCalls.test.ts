import { beforeAll, expect, test } from 'vitest'
import { demoNftAbi } from '../../src/devwallet/artifacts.js'
import { useSharedChain } from '../utils/chain.js'
import { viemHarness } from './harness.js'

/*
 * viem's `sendCalls` with ERC-7715's `capabilities.permissions.context` (ERC-5792), then
 * `waitForCallsStatus`: keyleash signs with the session key, the wallet relays, nobody is asked.
 */

const { rpcUrl } = useSharedChain()
const h = viemHarness(rpcUrl)

beforeAll(() => h.start(), 30_000)


const balance = () => h.publicClient.readContract({ address: h.wallet.contracts.nft, abi: demoNftAbi, functionName: 'balanceOf', args: [h.wallet.account] })

test('default: calls under the permissions context are mined, and waitForCallsStatus reports success with the receipt, with no prompt', async () => {
  const { provider, client, context } = await h.granted()
  const prompts = h.wallet.prompts
  const mint = { to: h.wallet.contracts.nft, abi: demoNftAbi, functionName: 'mint', args: [h.wallet.account] } as const
  const { id } = await client.sendCalls({ calls: [mint], capabilities: { permissions: { context } } })
  const status = await client.waitForCallsStatus({ id, pollingInterval: 10 })

  expect(status).toMatchObject({ status: 'success', statusCode: 200, atomic: true })
  expect(status.receipts).toHaveLength(1)
  expect(status.receipts?.[0]?.status).toBe('success')
  expect(await balance()).toBe(1n)
  expect(h.wallet.prompts).toBe(prompts)
  expect(provider.count('wallet_sendCalls')).toBe(1)
})

test('behavior: a batch of calls in one sendCalls is one atomic transaction', async () => {
  const { client, context } = await h.granted()
  const mint = { to: h.wallet.contracts.nft, abi: demoNftAbi, functionName: 'mint', args: [h.wallet.account] } as const
  const { id } = await client.sendCalls({ calls: [mint, mint, mint], capabilities: { permissions: { context } } })
  const status = await client.waitForCallsStatus({ id, pollingInterval: 10 })
  expect(status).toMatchObject({ status: 'success', atomic: true })
  expect(new Set(status.receipts?.map((r) => r.transactionHash)).size).toBe(1)
  expect(await balance()).toBe(3n)
})

test('behavior: getCallsStatus of session-signed calls is answered by the wallet, which relayed them', async () => {
  const { provider, client, context } = await h.granted()
  const { id } = await client.sendCalls({
    calls: [{ to: h.wallet.contracts.nft, abi: demoNftAbi, functionName: 'mint', args: [h.wallet.account] }],
    capabilities: { permissions: { context } },
  })
  await client.waitForCallsStatus({ id, pollingInterval: 10 })
  expect(await client.getCallsStatus({ id })).toMatchObject({ id, status: 'success' })
  expect(await h.wallet.provider.request({ method: 'wallet_getCallsStatus', params: [id] })).toMatchObject({ id, status: 200 })
  expect(provider.count('wallet_getCallsStatus')).toBeGreaterThanOrEqual(1)
})

test('behavior: sendCalls without a context goes to the wallet as it is: the owner is asked', async () => {
  const { client } = await h.granted()
  const prompts = h.wallet.prompts
  const { id } = await client.sendCalls({ calls: [{ to: h.wallet.contracts.nft, abi: demoNftAbi, functionName: 'mint', args: [h.wallet.account] }] })
  await client.waitForCallsStatus({ id, pollingInterval: 10 })
  expect(h.wallet.prompts).toBe(prompts + 1)
  expect(await balance()).toBe(1n)
})
