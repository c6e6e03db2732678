import { type Address, encodeFunctionData, erc20Abi } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { beforeAll, beforeEach, describe, expect, test } from 'vitest'
import { demoNftAbi } from '../../src/devwallet/artifacts.js'
import { openfortExecutor } from '../../src/execution/openfort.js'
import { catchUpWithSystemClock, useSharedChain } from '../utils/chain.js'
import { type DevOpenfort, createDevOpenfort } from '../../src/devwallet/openfort/sdk.js'
import { scriptedProvider } from '../utils/scriptedProvider.js'
import { sessionFixture } from '../utils/sessionFixture.js'

/*
 * openfortExecutor against the development backend: what reaches Openfort, and what comes back
 * when Openfort (the chain behind it) refuses.
 */

const { rpcUrl, testClient } = useSharedChain()
let user: DevOpenfort
let key: ReturnType<typeof privateKeyToAccount>

// The SDK dates sessions by the system clock and the account checks validAfter.
beforeEach(() => catchUpWithSystemClock(testClient))

beforeAll(async () => {
  await catchUpWithSystemClock(testClient)
  user = await createDevOpenfort({ rpcUrl })
  key = privateKeyToAccount(generatePrivateKey())
  await user.provider.request({ method: 'wallet_grantPermissions', params: [{ expiry: 3600, signer: { type: 'account', data: { id: key.address } }, permissions: [{ type: 'contract-call', data: { address: user.contracts.nft, calls: [] } }] }] })
  return () => user.close()
}, 60_000)

function run(to: Address, data: `0x${string}`, steps: string[], fetcher?: typeof fetch) {
  const executor = openfortExecutor({ backend: { url: `${user.backend.url}/`, headers: { authorization: `Bearer ${user.backend.secretKey}` }, fetch: fetcher }, account: () => user.openfortAccount.id })
  return executor({ inner: scriptedProvider(), session: sessionFixture({ account: user.account }), calls: [{ to, data }], chainId: 31337, signer: key, submitting: () => steps.push('submitting') })
}

describe('openfortExecutor', () => {
  test('default: an intent for the calls, signed by the session key, executed; the intent id is the calls id', async () => {
    const steps: string[] = []
    const { id } = await run(user.contracts.nft, encodeFunctionData({ abi: demoNftAbi, functionName: 'mint', args: [user.account] }), steps)
    expect(id).toMatch(/^tin_[0-9a-f]{24}$/)
    expect(steps).toStrictEqual(['submitting'])
    expect(user.backend.requests.filter((r) => r.path.startsWith('/v1/transaction_intents')).map((r) => r.path.replace(id, ':id'))).toStrictEqual(['/v1/transaction_intents', '/v1/transaction_intents/:id/signature'])
    expect(await user.provider.request({ method: 'wallet_getCallsStatus', params: [id] })).toMatchObject({ status: 'CONFIRMED', receipts: [{ status: 'success' }] })
  })

  test('error: a call Openfort refuses on chain is a -32003 naming the rule, after submitting (the signature was handed over)', async () => {
    const steps: string[] = []
    const error = await run(user.contracts.token, encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [user.owner, 1n] }), steps).then(() => ({ code: 0, message: "executed" }), (e: { code: number; message: string }) => e)
    expect(error).toMatchObject({ code: -32003 })
    expect(error.message.replace(/0x[0-9a-fA-F]{40}/g, '0x…')).toMatchInlineSnapshot(`"Openfort refused /v1/transaction_intents/:id/signature (HTTP 400): execution reverted: TargetNotWhitelisted(0x…, 0x…)"`)
    expect(steps).toStrictEqual(['submitting'])
  })

  test('error: more than 9 calls are refused (-32602) before Openfort is asked: its account runs at most 9 in a batch', async () => {
    const steps: string[] = []
    const before = user.backend.requests.length
    const executor = openfortExecutor({ backend: { url: user.backend.url, headers: { authorization: `Bearer ${user.backend.secretKey}` } }, account: () => user.openfortAccount.id })
    const mint = { to: user.contracts.nft, data: encodeFunctionData({ abi: demoNftAbi, functionName: 'mint', args: [user.account] }) }
    const ten = executor({ inner: scriptedProvider(), session: sessionFixture({ account: user.account }), calls: Array(10).fill(mint), chainId: 31337, signer: key, submitting: () => steps.push('submitting') })
    await expect(ten).rejects.toMatchObject({ code: -32602, message: "params[0].calls: Openfort's account runs at most 9 calls in one batch; this one has 10" })
    expect(steps).toStrictEqual([])
    expect(user.backend.requests.length).toBe(before)
  })

  test('error: an intent without a signable hash is refused before anything is signed or handed over', async () => {
    const steps: string[] = []
    const fetcher = (async () => new Response(JSON.stringify({ id: 'tin_1' }), { status: 200 })) as typeof fetch
    await expect(run(user.contracts.nft, '0x', steps, fetcher)).rejects.toThrowErrorMatchingInlineSnapshot(`[InternalError: Openfort answered a transaction intent without an id and a 32-byte nextAction.payload.signableHash]`)
    expect(steps).toStrictEqual([])
  })
})
