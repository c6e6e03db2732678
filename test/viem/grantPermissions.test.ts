import { BaseError, InvalidParamsRpcError, toFunctionSelector } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { beforeAll, expect, test } from 'vitest'
import { sessionAccountAbi } from '../../src/devwallet/artifacts.js'
import { useSharedChain } from '../utils/chain.js'
import { viemHarness } from './harness.js'

/*
 * viem's own `erc7715Actions().grantPermissions`, nothing else, against keyleash over the dev
 * wallet: every signer form and every expiry form viem users write, and the one they must not.
 */

const { rpcUrl } = useSharedChain()
const h = viemHarness(rpcUrl)
const hour = 60 * 60
const mint = toFunctionSelector('mint(address)')

beforeAll(() => h.start(), 30_000)

const mintPermission = () => h.mintPermission()
const onChain = (key: `0x${string}`) =>
  h.publicClient.readContract({ address: h.wallet.account, abi: sessionAccountAbi, functionName: 'getSession', args: [key] })

test('default: without a signer, keyleash makes the session key, the wallet registers it, and viem gets the grant back', async () => {
  const { provider, client } = h.client()
  const prompts = h.wallet.prompts
  const granted = await client.grantPermissions({ expiry: hour, permissions: mintPermission() })

  expect(h.wallet.prompts - prompts).toBe(1)
  expect(granted.grantedPermissions).toStrictEqual([{ type: 'contract-call', data: { address: h.wallet.contracts.nft, calls: [mint] }, policies: [], required: true }])
  const [session] = await provider.sessions.list()
  expect(session).toMatchObject({ id: granted.permissionsContext, status: 'active', account: h.wallet.account })
  expect(session?.keyAddress).toMatch(/^0x[0-9a-fA-F]{40}$/)
  expect(await onChain(session!.keyAddress!)).toMatchObject({ exists: true, revoked: false })
})

test('args: signer { type: "account" } naming a key the app imported', async () => {
  const { provider, client } = h.client()
  const key = await provider.sessions.importKey(generatePrivateKey())
  const granted = await client.grantPermissions({ expiry: hour, signer: { type: 'account', data: { id: key } }, permissions: mintPermission() })
  expect((await provider.sessions.get(granted.permissionsContext))?.keyAddress).toBe(key)
  expect((await onChain(key)).exists).toBe(true)
})

test('args: account (a viem local account, sent by viem as signer { type: "account" })', async () => {
  const { provider, client } = h.client()
  const privateKey = generatePrivateKey()
  await provider.sessions.importKey(privateKey)
  const account = privateKeyToAccount(privateKey)
  const granted = await client.grantPermissions({ expiry: hour, account, permissions: mintPermission() })
  expect((await provider.sessions.get(granted.permissionsContext))?.keyAddress).toBe(account.address)
  expect((await onChain(account.address)).exists).toBe(true)
})

test('args: expiry as a duration in seconds (the seed\'s `60 * 60 * 24`) ends that long from now', async () => {
  const { client } = h.client()
  const before = h.now()
  const granted = await client.grantPermissions({ expiry: 24 * hour, permissions: mintPermission() })
  expect(granted.expiry).toBeGreaterThanOrEqual(before + 24 * hour)
  expect(granted.expiry).toBeLessThanOrEqual(h.now() + 24 * hour)
})

test('args: expiry as a UNIX timestamp in seconds (what the spec says) is kept as it is, on-chain too', async () => {
  const { provider, client } = h.client()
  const expiry = h.now() + 2 * hour
  const granted = await client.grantPermissions({ expiry, permissions: mintPermission() })
  expect(granted.expiry).toBe(expiry)
  const session = await provider.sessions.get(granted.permissionsContext)
  expect((await onChain(session!.keyAddress!)).validUntil).toBe(expiry)
})

test('error: expiry in milliseconds (viem\'s own doc example) is an InvalidParamsRpcError naming `expiry`, sent once, with no prompt', async () => {
  const { provider, client } = h.client()
  const prompts = h.wallet.prompts
  const error = await client.grantPermissions({ expiry: (h.now() + hour) * 1000, permissions: mintPermission() }).catch((e: unknown) => e)

  expect(error).toBeInstanceOf(InvalidParamsRpcError)
  expect(error).toMatchObject({ name: 'InvalidParamsRpcError', code: -32602 })
  expect((error as BaseError).details).toMatch(/^expiry: /)
  expect(provider.count('wallet_grantPermissions')).toBe(1)
  expect(h.wallet.prompts).toBe(prompts)
  expect(await provider.sessions.list()).toStrictEqual([])
})

test('error: expiry in the past is an InvalidParamsRpcError naming `expiry`', async () => {
  const { client } = h.client()
  const error = await client.grantPermissions({ expiry: h.now() - 60, permissions: mintPermission() }).catch((e: unknown) => e)
  expect(error).toBeInstanceOf(InvalidParamsRpcError)
  expect((error as BaseError).details).toMatch(/^expiry: /)
})
