import { createRequire } from 'node:module'
import { text } from 'node:stream/consumers'
import { type Address, type Hex, getAddress, createWalletClient, encodeFunctionData, erc721Abi, http, numberToHex, parseEther } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { entryPoint07Address } from 'viem/account-abstraction'
import { anvil } from 'viem/chains'
import { describe, expect, test } from 'vitest'
import { freePort } from '../../src/devwallet/chain.js'
import { demoNftAbi, demoTokenAbi } from '../../src/devwallet/artifacts.js'
import { devClients, fund } from '../../src/devwallet/wallet.js'
import { erc4337Executor } from '../../src/execution/erc4337.js'
import { withSessionKeys } from '../../src/provider.js'
import { memoryStore } from '../../src/sessions/memoryStore.js'
import { thirdwebAccount } from '../../src/wallets/thirdweb/account.js'
import { rejectionOf } from '../utils/rejection.js'
import { sessionFixture } from '../utils/sessionFixture.js'
import { thirdwebSuite } from '../utils/thirdweb.js'

/*
 * thirdweb's account (compiled from @thirdweb-dev/contracts), the real EntryPoint v0.6, and alto
 * on 127.0.0.1: keyleash's erc4337Executor sends the session key's calls as UserOperations. The
 * session is set on the account by its owner (what thirdweb's SDK does); keyleash holds the key.
 * Its own chain: alto keeps nonces and a mempool that a snapshot revert would leave behind.
 */

const suite = thirdwebSuite()
const { publicClient } = suite

const mint = (to: Address): Hex => encodeFunctionData({ abi: demoNftAbi, functionName: 'mint', args: [to] })
// A call that runs (anyone may mint the demo token), to a contract the account never approved.
const mintToken = (to: Address): Hex => encodeFunctionData({ abi: demoTokenAbi, functionName: 'mint', args: [to, 1n] })

const setup = suite.session

const nftBalance = (owner: Address) => publicClient().readContract({ address: suite.wallet.contracts.nft, abi: erc721Abi, functionName: 'balanceOf', args: [owner] })

describe('erc4337Executor through alto', () => {
  test('default: a session-signed mint is a UserOperation on chain; keyleash answers wallet_getCallsStatus from its receipt, so viem waits on it; no owner prompt', async () => {
    const { provider, send } = await setup({ bundler: suite.bundler.url }, { granted: [suite.wallet.contracts.nft] })
    const prompts = suite.wallet.prompts
    const before = await nftBalance(suite.wallet.account)
    const { id } = await send([{ to: suite.wallet.contracts.nft, data: mint(suite.wallet.account) }])
    expect(id).toMatch(/^0x[0-9a-f]{64}$/)
    expect(await nftBalance(suite.wallet.account)).toBe(before + 1n)
    const client = createWalletClient({ chain: anvil, transport: (await import('viem')).custom(provider) })
    const status = await client.waitForCallsStatus({ id, pollingInterval: 20 })
    expect(status).toMatchObject({ id, status: 'success', statusCode: 200, atomic: true, chainId: anvil.id })
    expect(status.receipts?.[0]?.status).toBe('success')
    expect(suite.wallet.prompts).toBe(prompts)
  })

  test('behavior: concurrent sends each take a nonce key of their own: all land', async () => {
    const { send } = await setup({ bundler: suite.bundler.url }, { granted: [suite.wallet.contracts.nft] })
    const before = await nftBalance(suite.wallet.account)
    const ids = await Promise.all([1, 2, 3].map(() => send([{ to: suite.wallet.contracts.nft, data: mint(suite.wallet.account) }])))
    expect(new Set(ids.map(({ id }) => id)).size).toBe(3)
    expect(await nftBalance(suite.wallet.account)).toBe(before + 3n)
  })

  test('error: a target the account does not hold the key to is AA24 from the bundler, a 4100 that says what to do; the reservation is given back', async () => {
    const { send, store, id } = await setup({ bundler: suite.bundler.url }, { granted: [suite.wallet.contracts.nft], allowed: [suite.wallet.contracts.nft, suite.wallet.contracts.token] })
    const refused = await rejectionOf(send([{ to: suite.wallet.contracts.token, data: mintToken(suite.wallet.account) }]))
    expect(refused.code).toBe(4100)
    expect(refused.message).toMatch(/^AA24: the account refused the session key's signature/)
    expect(refused.data).toMatchObject({ aaCode: 'AA24', hint: 'grant the key again, or keep the calls to what the account granted', context: id })
    expect((await store.get(id))?.usage.calls).toBe(0)
  })
})

/**
 * alto behind an HTTP hop that goes down (stops listening, drops its connections) once it has
 * answered `method`: a bundler that dies between two requests of one send.
 */
async function bundlerDownAfter(method: string): Promise<string> {
  const hop = await suite.serve(async (request, response) => {
    const body = await text(request)
    const answer = await fetch(suite.bundler.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    const goDown = (JSON.parse(body) as { method?: string }).method === method
    // A connection per request (none kept alive): once down, the next request finds nothing listening.
    response.writeHead(answer.status, { 'content-type': 'application/json', connection: 'close' }).end(await answer.text(), () => goDown && hop.close())
  })
  return hop.url
}

describe('erc4337Executor with a bundler that is down', () => {
  test('error: nothing listens at the bundler\'s URL: a -32603 that says so and what to do; nothing sent, the reservation given back', async () => {
    const { send, store, id } = await setup({ bundler: `http://127.0.0.1:${await freePort()}` }, { granted: [suite.wallet.contracts.nft] })
    const before = await nftBalance(suite.wallet.account)
    const failed = await rejectionOf(send([{ to: suite.wallet.contracts.nft, data: mint(suite.wallet.account) }]))
    expect(failed.code).toBe(-32603)
    expect(failed.message).toMatch(/^the bundler could not estimate the UserOperation: nothing answers \(connect ECONNREFUSED 127\.0\.0\.1:\d+\)$/)
    expect(failed.data).toMatchObject({ context: id, hint: 'nothing was sent; start the bundler' })
    expect((await store.get(id))?.usage.calls).toBe(0)
    expect(await nftBalance(suite.wallet.account)).toBe(before)
  })

  test('error: the bundler goes down after estimating, before it takes the UserOperation: the same -32603; the reservation given back, nothing on chain', async () => {
    const { send, store, id } = await setup({ bundler: await bundlerDownAfter('eth_estimateUserOperationGas') }, { granted: [suite.wallet.contracts.nft] })
    const before = await nftBalance(suite.wallet.account)
    const failed = await rejectionOf(send([{ to: suite.wallet.contracts.nft, data: mint(suite.wallet.account) }]))
    expect(failed.code).toBe(-32603)
    expect(failed.message).toMatch(/^the bundler refused the UserOperation: nothing answers \(connect ECONNREFUSED/)
    expect(failed.data.hint).toContain('nothing was sent; start the bundler')
    expect((await store.get(id))?.usage.calls).toBe(0)
    expect(await nftBalance(suite.wallet.account)).toBe(before)
  })

  test('error: the bundler goes down once it has taken the UserOperation: a -32603 naming it, to ask about later; the usage stays, and the mint lands', async () => {
    const { send, store, id } = await setup({ bundler: await bundlerDownAfter('eth_sendUserOperation') }, { granted: [suite.wallet.contracts.nft] })
    const before = await nftBalance(suite.wallet.account)
    const failed = await rejectionOf(send([{ to: suite.wallet.contracts.nft, data: mint(suite.wallet.account) }]))
    expect(failed.code).toBe(-32603)
    expect(failed.message).toMatch(/^the UserOperation was sent, its receipt not read: nothing answers \(connect ECONNREFUSED/)
    expect(failed.data).toMatchObject({ context: id, id: expect.stringMatching(/^0x[0-9a-f]{64}$/), hint: 'ask wallet_getCallsStatus later' })
    expect((await store.get(id))?.usage.calls).toBe(1)
    // alto itself is up: the UserOperation it took is bundled.
    await expect.poll(() => nftBalance(suite.wallet.account), { timeout: 20_000, interval: 100 }).toBe(before + 1n)
  })
})

describe('erc4337Executor by handleOps from a relayer', () => {
  async function relayer() {
    const account = privateKeyToAccount(generatePrivateKey())
    await fund(publicClient() as never, account.address, parseEther('1'))
    return account
  }

  test('default: the relayer sends handleOps; the mint lands and wallet_getCallsStatus answers from the EntryPoint\'s event', async () => {
    const { provider, send } = await setup({ relayer: await relayer() }, { granted: [suite.wallet.contracts.nft] })
    const before = await nftBalance(suite.wallet.account)
    const { id } = await send([{ to: suite.wallet.contracts.nft, data: mint(suite.wallet.account) }])
    expect(await nftBalance(suite.wallet.account)).toBe(before + 1n)
    expect(await provider.request({ method: 'wallet_getCallsStatus', params: [id] })).toMatchObject({ version: '2.0.0', id, status: 200, atomic: true, receipts: [{ status: '0x1' }] })
  })

  test('error: AA24 in the relayer\'s simulation: nothing is sent, the reservation is given back', async () => {
    const { send, store, id } = await setup({ relayer: await relayer() }, { granted: [suite.wallet.contracts.nft], allowed: [suite.wallet.contracts.nft, suite.wallet.contracts.token] })
    const refused = await rejectionOf(send([{ to: suite.wallet.contracts.token, data: mintToken(suite.wallet.account) }]))
    expect(refused).toMatchObject({ code: 4100, data: { aaCode: 'AA24' } })
    expect((await store.get(id))?.usage.calls).toBe(0)
  })

  test('error: a relayer without funds cannot send: a -32603 naming it, the reservation given back', async () => {
    const broke = privateKeyToAccount(generatePrivateKey())
    const { send, store, id } = await setup({ relayer: broke }, { granted: [suite.wallet.contracts.nft] })
    const failed = await rejectionOf(send([{ to: suite.wallet.contracts.nft, data: mint(suite.wallet.account) }]))
    expect(failed.code).toBe(-32603)
    expect(failed.message).toContain(broke.address)
    expect((await store.get(id))?.usage.calls).toBe(0)
  })
})

describe('erc4337Executor on EntryPoint v0.7 (packed UserOperations)', () => {
  test('default: a session key that owns eth-infinitism\'s SimpleAccount v0.7 mints through alto', async () => {
    // eth-infinitism's own SimpleAccountFactory, as @account-abstraction/contracts 0.7.0 publishes it.
    const { abi, bytecode } = createRequire(import.meta.url)('@account-abstraction/contracts/artifacts/SimpleAccountFactory.json') as { abi: never; bytecode: Hex }
    const { publicClient: reader, relayerClient } = await devClients(suite.chain.rpcUrl)
    const deployed = await reader.waitForTransactionReceipt({ hash: await relayerClient.deployContract({ abi, bytecode, args: [entryPoint07Address] as never }) })
    const factory = getAddress(deployed.contractAddress as Address)
    const store = memoryStore()
    const simpleAccount = { ...thirdwebAccount(), entryPoint: { address: entryPoint07Address, version: '0.7' as const } }
    const privateKey = generatePrivateKey()
    const key = privateKeyToAccount(privateKey).address
    const { result: account, request } = await reader.simulateContract({ address: factory, abi: abi as never, functionName: 'createAccount' as never, args: [key, 0n] as never, account: relayerClient.account })
    const provider = withSessionKeys(suite.wallet.provider, { store, account: account as Address, executor: erc4337Executor({ account: simpleAccount, bundler: suite.bundler.url, transport: http(suite.chain.rpcUrl) }) })
    await provider.sessions.importKey(privateKey)
    await reader.waitForTransactionReceipt({ hash: await relayerClient.writeContract(request as never) })
    await fund(reader, account as Address, parseEther('1'))
    const id = '0x0700'
    const { timestamp } = await reader.getBlock()
    await store.put(sessionFixture({ id, chainId: anvil.id, account: account as Address, signer: { type: 'account', address: key }, keyAddress: key, expiry: Number(timestamp) + 3600, permissions: [{ type: 'contract-call', target: suite.wallet.contracts.nft, selectors: 'any' }], policies: [] }))
    const sent = (await provider.request({
      method: 'wallet_sendCalls',
      params: [{ version: '2.0.0', from: account as Address, chainId: numberToHex(anvil.id), atomicRequired: true, calls: [{ to: suite.wallet.contracts.nft, data: mint(account as Address) }], capabilities: { permissions: { context: id } } }],
    })) as { id: Hex }
    expect(await nftBalance(account as Address)).toBe(1n)
    expect(await provider.request({ method: 'wallet_getCallsStatus', params: [sent.id] })).toMatchObject({ status: 200, receipts: [{ status: '0x1' }] })
  })
})
