import { text } from 'node:stream/consumers'
import { type Address, type Hex, encodeFunctionData, erc721Abi, http, numberToHex, parseEther } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { describe, expect, test } from 'vitest'
import { demoNftAbi } from '../../src/devwallet/artifacts.js'
import { fund } from '../../src/devwallet/wallet.js'
import type { Erc4337ExecutorOptions } from '../../src/execution/erc4337.js'
import { rejectionOf } from '../utils/rejection.js'
import { thirdwebSuite } from '../utils/thirdweb.js'

/*
 * erc4337Executor when the network misbehaves after the signed UserOperation left: a node that
 * takes the relayer's transaction and never answers, a handleOps that reverts on chain, a chain
 * that does not mine in time, a bundler slow to have a receipt. thirdweb's account, the real
 * EntryPoint v0.6 and alto on a chain of this file's own; only HTTP hops on 127.0.0.1 in
 * between play the misbehaving part.
 */

const suite = thirdwebSuite()
const { publicClient } = suite

const mint = (to: Address): Hex => encodeFunctionData({ abi: demoNftAbi, functionName: 'mint', args: [to] })
const nftBalance = (owner: Address) => publicClient().readContract({ address: suite.wallet.contracts.nft, abi: erc721Abi, functionName: 'balanceOf', args: [owner] })
const rpc = (method: string, params: unknown[] = []) => publicClient().request({ method, params } as never)

/** A keyleash provider whose store holds a session of a fresh key, which the account holds for the NFT: it sends `count` mints. */
async function setup(executor: Omit<Erc4337ExecutorOptions, 'account'>) {
  const { provider, store, id, send } = await suite.session(executor, { granted: [suite.wallet.contracts.nft] })
  const mints = (count = 1) => send(Array.from({ length: count }, () => ({ to: suite.wallet.contracts.nft, data: mint(suite.wallet.account) })))
  const status = (callsId: Hex) => provider.request({ method: 'wallet_getCallsStatus', params: [callsId] }) as Promise<{ status: number }>
  const calls = async () => (await store.get(id))?.usage.calls
  return { send: mints, status, calls, context: id }
}

async function relayer() {
  const account = privateKeyToAccount(generatePrivateKey())
  await fund(publicClient() as never, account.address, parseEther('1'))
  return account
}

/**
 * A JSON-RPC hop to `target` on 127.0.0.1. `shim` sees each request first: it answers it
 * (a JSON text), holds it unanswered (`'hold'`), or lets it through (`undefined`); `forward`
 * sends it on and gives the answer.
 */
async function rpcProxy(target: string, shim: (request: { id: number; method: string; params: unknown[] }, forward: () => Promise<string>) => Promise<string | 'hold' | undefined>): Promise<string> {
  const { url } = await suite.serve(async (request, response) => {
    const body = await text(request)
    const forward = async () => (await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).text()
    const answer = (await shim(JSON.parse(body), forward)) ?? (await forward())
    if (answer !== 'hold') response.writeHead(200, { 'content-type': 'application/json' }).end(answer)
  })
  return url
}

describe('erc4337Executor by handleOps from a relayer', () => {
  test('behavior: the node takes the relayer\'s transaction but its answer never comes: the usage stays reserved, the error names the UserOperation, and wallet_getCallsStatus answers for it', async () => {
    // The node gets the transaction; the answer is held until the transport gives up.
    const node = await rpcProxy(suite.chain.rpcUrl, async ({ method }, forward) => (method === 'eth_sendRawTransaction' ? (await forward(), 'hold') : undefined))
    const { send, status, calls, context } = await setup({ relayer: await relayer(), transport: http(node, { timeout: 2_000, retryCount: 0 }) })
    const before = await nftBalance(suite.wallet.account)
    const failed = await rejectionOf(send())
    expect(failed.code).toBe(-32603)
    expect(failed.message).toMatch(/^the relayer 0x[0-9a-fA-F]{40} sent handleOps and had no answer: The request took too long to respond/)
    expect(failed.data).toMatchObject({ context, id: expect.stringMatching(/^0x[0-9a-f]{64}$/), transaction: expect.stringMatching(/^0x[0-9a-f]{64}$/), hint: 'ask wallet_getCallsStatus about it later; the usage stays reserved, as the UserOperation may be on chain' })
    expect(await calls()).toBe(1)
    expect(await nftBalance(suite.wallet.account)).toBe(before + 1n)
    expect(await status(failed.data.id)).toMatchObject({ id: failed.data.id, status: 200 })
  })

  test('behavior: handleOps reverts on chain (the account cannot pay once simulated): the signed UserOperation stays valid, so its usage stays reserved', async () => {
    // Right before the transaction reaches the node, the account loses what it pays the EntryPoint with: AA21 on chain.
    const node = await rpcProxy(suite.chain.rpcUrl, async ({ method }) => {
      if (method === 'eth_sendRawTransaction') await rpc('anvil_setBalance', [suite.wallet.account, '0x0'])
      return undefined
    })
    const balance = await publicClient().getBalance({ address: suite.wallet.account })
    try {
      const { send, status, calls, context } = await setup({ relayer: await relayer(), transport: http(node, { retryCount: 0 }) })
      const failed = await rejectionOf(send())
      expect(failed.code).toBe(-32603)
      expect(failed.message).toMatch(/^handleOps from the relayer 0x[0-9a-fA-F]{40} reverted; the calls did not run, but the signed UserOperation stays valid until the session ends/)
      expect(failed.data).toMatchObject({ context, id: expect.stringMatching(/^0x[0-9a-f]{64}$/), transaction: expect.stringMatching(/^0x[0-9a-f]{64}$/) })
      expect(await calls()).toBe(1)
      expect(await status(failed.data.id)).toMatchObject({ status: 500 })
    } finally {
      await rpc('anvil_setBalance', [suite.wallet.account, numberToHex(balance)])
    }
  })

  test('behavior: three concurrent sends through one relayer take turns with its nonce: all land', async () => {
    const { send, calls } = await setup({ relayer: await relayer() })
    const before = await nftBalance(suite.wallet.account)
    const ids = await Promise.all([1, 2, 3].map(() => send()))
    expect(new Set(ids.map(({ id }) => id)).size).toBe(3)
    expect(await nftBalance(suite.wallet.account)).toBe(before + 3n)
    expect(await calls()).toBe(3)
  })

  test('error: the relayer\'s transaction is not mined within timeoutMs: a -32603 naming the UserOperation; wallet_getCallsStatus answers pending, then confirmed once mined', async () => {
    const { send, status, calls, context } = await setup({ relayer: await relayer(), timeoutMs: 1_000 })
    await rpc('evm_setAutomine', [false])
    let failed: Awaited<ReturnType<typeof rejectionOf>>
    try {
      failed = await rejectionOf(send())
      expect(failed.code).toBe(-32603)
      expect(failed.message).toMatch(/^the UserOperation was sent but is not on chain after 1000 ms$/)
      expect(failed.data).toMatchObject({ context, id: expect.stringMatching(/^0x[0-9a-f]{64}$/), transaction: expect.stringMatching(/^0x[0-9a-f]{64}$/), hint: 'ask wallet_getCallsStatus about it later' })
      expect(await calls()).toBe(1)
      expect(await status(failed.data.id)).toMatchObject({ id: failed.data.id, status: 100 })
    } finally {
      await rpc('evm_setAutomine', [true])
    }
    await rpc('evm_mine')
    expect(await status(failed.data.id)).toMatchObject({ status: 200 })
  })
})

describe('erc4337Executor through a bundler', () => {
  test('behavior: a batch of 60 calls from a thirdweb session key lands through alto with its own gas estimates: thirdwebAccount adds the verification gas the dummy signature\'s estimate lacks', async () => {
    // Estimated with the dummy signature, validation skips the session key's checks of each call: AA40 without the margin.
    const { send } = await setup({ bundler: suite.bundler.url })
    const before = await nftBalance(suite.wallet.account)
    await send(60)
    expect(await nftBalance(suite.wallet.account)).toBe(before + 60n)
  })

  test('error: the bundler takes the UserOperation but has no receipt within timeoutMs: a -32603 naming it; wallet_getCallsStatus answers for it from the bundler, pending then confirmed', async () => {
    // A bundler slow to report: no receipt until `slow` is turned off.
    let slow = true
    const url = await rpcProxy(suite.bundler.url, async ({ method }) => (slow && method === 'eth_getUserOperationReceipt' ? JSON.stringify({ jsonrpc: '2.0', id: 1, result: null }) : undefined))
    const { send, status, calls, context } = await setup({ bundler: url, timeoutMs: 1_000 })
    const failed = await rejectionOf(send())
    expect(failed.data).toMatchObject({ context, id: expect.stringMatching(/^0x[0-9a-f]{64}$/), hint: 'ask wallet_getCallsStatus about it later' })
    // The id the error names is keyleash's to answer, though the send failed: the wallet never heard of it.
    expect(await status(failed.data.id)).toMatchObject({ id: failed.data.id, status: 100 })
    expect(failed.code).toBe(-32603)
    expect(failed.message).toMatch(/^the UserOperation was sent but is not on chain after 1000 ms$/)
    expect(await calls()).toBe(1)
    slow = false
    await expect.poll(async () => (await status(failed.data.id)).status, { timeout: 20_000, interval: 100 }).toBe(200)
  })
})
