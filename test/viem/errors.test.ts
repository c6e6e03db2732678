import {
  BaseError,
  InternalRpcError,
  InvalidParamsRpcError,
  UnauthorizedProviderError,
  UnknownRpcError,
  UserRejectedRequestError,
  createWalletClient,
  custom,
} from 'viem'
import { anvil } from 'viem/chains'
import { erc7715Actions } from 'viem/experimental'
import { beforeAll, expect, test } from 'vitest'
import { demoNftAbi, demoTokenAbi } from '../../src/devwallet/artifacts.js'
import { withSessionKeys } from '../../src/provider.js'
import { allowList } from '../../src/permissions/allowList.js'
import { useSharedChain } from '../utils/chain.js'
import { counting, viemHarness } from './harness.js'

/*
 * Every error keyleash answers carries a numeric code, so viem turns it into its own class
 * (never "Unknown RPC error") and, for these codes, never sends the request again. viem does
 * retry -32603 on requests that allow retries (reads): that is viem's design, pinned below.
 */

const { rpcUrl } = useSharedChain()
const h = viemHarness(rpcUrl)

beforeAll(() => h.start(), 30_000)

const mintPermission = () => h.mintPermission()

/** What viem threw, and the keyleash/wallet error it wraps (viem keeps it as `cause`). */
function unwrap<T extends BaseError>(error: unknown, type: abstract new (...args: never[]) => T): { error: T; cause: { code: number; message: string; data?: unknown } } {
  expect(error).toBeInstanceOf(BaseError)
  const found = (error as BaseError).walk((e) => e instanceof type) as T | null
  expect(found, `a ${type.name} in the chain of ${(error as Error).name}`).toBeInstanceOf(type)
  return { error: found!, cause: found!.cause as unknown as { code: number; message: string; data?: unknown } }
}

test('error: a grant the user rejects (4001 from the wallet\'s confirmation) is a UserRejectedRequestError, sent once', async () => {
  const { provider, client } = h.client()
  h.approving(false)
  try {
    const thrown = await client.grantPermissions({ expiry: 3600, permissions: mintPermission() }).catch((e: unknown) => e)
    const { error } = unwrap(thrown, UserRejectedRequestError)
    expect(error.code).toBe(4001)
    expect(provider.count('wallet_grantPermissions')).toBe(1)
    expect(await provider.sessions.list()).toStrictEqual([])
  } finally {
    h.approving(true)
  }
})

test('error: a malformed grant is an InvalidParamsRpcError whose details name the field, and it never reaches the wallet', async () => {
  const { provider, client } = h.client()
  const prompts = h.wallet.prompts
  const thrown = await client
    .grantPermissions({ expiry: 3600, permissions: [{ type: 'contract-call', data: { address: h.wallet.contracts.nft, calls: ['mint(address'] }, policies: [] }] })
    .catch((e: unknown) => e)
  const { error, cause } = unwrap(thrown, InvalidParamsRpcError)
  expect(error.code).toBe(-32602)
  expect(error.details).toMatchInlineSnapshot(`"permissions[0].data.calls[0]: "mint(address" is not a function signature or selector"`)
  expect(cause.data).toMatchObject({ field: 'permissions[0].data.calls[0]' })
  expect(provider.count('wallet_grantPermissions')).toBe(1)
  expect(h.wallet.prompts).toBe(prompts)
})

test('error: calls outside the session are an UnauthorizedProviderError (4100) with a reason per call, sent once, before the wallet sees them', async () => {
  const { provider, client, context } = await h.granted()
  const block = await h.publicClient.getBlockNumber()
  const thrown = await client
    .sendCalls({
      calls: [
        { to: h.wallet.contracts.nft, abi: demoNftAbi, functionName: 'mint', args: [h.wallet.account] },
        { to: h.wallet.contracts.token, abi: demoTokenAbi, functionName: 'transfer', args: [h.wallet.owner, 1n] },
      ],
      capabilities: { permissions: { context } },
    })
    .catch((e: unknown) => e)
  const { error, cause } = unwrap(thrown, UnauthorizedProviderError)
  expect(error.code).toBe(4100)
  const reasons = (cause.data as { reasons: { call: number; reason: string }[] }).reasons
  // One entry per call: `null` for the call that fits, the rule broken for the one that does not.
  expect(reasons).toMatchObject([null, { call: 1, reason: 'target-not-allowed', target: h.wallet.contracts.token }])
  expect(error.details).toMatch(/^the calls do not fit session 0x[0-9a-f]+: call 1: target 0x\w+…\w+ is not granted/i)
  expect(provider.count('wallet_sendCalls')).toBe(1)
  expect(await h.publicClient.getBlockNumber()).toBe(block)
})

test('error: a grant wider than the app\'s allow list is an UnauthorizedProviderError (4100), with no prompt', async () => {
  const { provider, client } = h.client({ allow: allowList([{ target: h.wallet.contracts.token }]) })
  const prompts = h.wallet.prompts
  const thrown = await client.grantPermissions({ expiry: 3600, permissions: mintPermission() }).catch((e: unknown) => e)
  expect(unwrap(thrown, UnauthorizedProviderError).error.code).toBe(4100)
  expect(provider.count('wallet_grantPermissions')).toBe(1)
  expect(h.wallet.prompts).toBe(prompts)
})

test('behavior: requests that viem would retry if it could are not retried for our codes (-32602, 4100) even with retries on', async () => {
  const { provider, client } = h.client()
  // `client.request` uses the transport's retryCount (3): only a retriable code would be sent again.
  const invalid = await client.request({ method: 'wallet_revokePermissions', params: [{ permissionContext: 42 }] } as never).catch((e: unknown) => e)
  expect(invalid).toBeInstanceOf(InvalidParamsRpcError)
  expect(provider.count('wallet_revokePermissions')).toBe(1)

  const { permissionsContext: context } = await client.grantPermissions({ expiry: 3600, permissions: mintPermission() })
  const unauthorized = await client
    .request({
      method: 'wallet_sendCalls',
      params: [{ version: '2.0.0', chainId: '0x7a69', atomicRequired: true, calls: [{ to: h.wallet.contracts.token, data: '0x' }], capabilities: { permissions: { context } } }],
    } as never)
    .catch((e: unknown) => e)
  expect(unauthorized).toBeInstanceOf(UnauthorizedProviderError)
  expect(provider.count('wallet_sendCalls')).toBe(1)
})

test('behavior: an inner wallet that throws without a code surfaces as InternalRpcError (-32603), never "Unknown RPC error"', async () => {
  const broken = { request: async () => Promise.reject(new Error('socket hang up')) }
  const provider = counting(withSessionKeys(broken))
  // retryDelay 0: viem retries -32603 on requests that allow it, by design; count them exactly.
  const client = createWalletClient({ chain: anvil, transport: custom(provider, { retryDelay: 0 }) }).extend(erc7715Actions())

  const write = await client
    .sendCalls({ account: h.wallet.account, calls: [{ to: h.wallet.contracts.nft, data: '0x' }] })
    .catch((e: unknown) => e)
  const { error } = unwrap(write, InternalRpcError)
  expect(error.details).toBe('socket hang up')
  expect((write as BaseError).walk((e) => e instanceof UnknownRpcError)).toBeNull()
  // A write is never retried by viem.
  expect(provider.count('wallet_sendCalls')).toBe(1)

  // A read with retries on: viem sends it 1 + 3 times, because the wallet said -32603 (internal), as viem documents.
  const read = await client.request({ method: 'eth_chainId' }).catch((e: unknown) => e)
  expect(read).toBeInstanceOf(InternalRpcError)
  expect(provider.count('eth_chainId')).toBe(4)
})
