import { UnauthorizedProviderError, hashMessage, keccak256, recoverMessageAddress, recoverTypedDataAddress, stringToHex, verifyMessage } from 'viem'
import { beforeAll, expect, test } from 'vitest'
import { useSharedChain } from '../utils/chain.js'
import { viemHarness } from './harness.js'
import { sessionSigning } from '../../src/permissions/sessionSigning.js'

/*
 * Signing with the session key through viem: the session key's address used as a JSON-RPC
 * account (`account: sessionKeyAddress`) makes viem send `personal_sign` /
 * `eth_signTypedData_v4` from it, which keyleash signs locally while the session is live and
 * the app opted in (`signing`).
 */

const signing = { signing: sessionSigning({ hashes: true, messages: true, typedData: true }) } as const

const { rpcUrl } = useSharedChain()
const h = viemHarness(rpcUrl)

beforeAll(() => h.start(), 30_000)


test('default: signMessage from the session key\'s address is signed by that key, with no prompt', async () => {
  const { client, key } = await h.granted(signing)
  const prompts = h.wallet.prompts
  const signature = await client.signMessage({ account: key, message: 'hello from the session' })
  expect(await verifyMessage({ address: key, message: 'hello from the session', signature })).toBe(true)
  expect(h.wallet.prompts).toBe(prompts)
})

test('args: a backend\'s signableHash signed as raw bytes (Openfort\'s transaction intents)', async () => {
  const { client, key } = await h.granted(signing)
  const signableHash = keccak256(stringToHex('a transaction intent'))
  const signature = await client.signMessage({ account: key, message: { raw: signableHash } })
  expect(await recoverMessageAddress({ message: { raw: signableHash }, signature })).toBe(key)
  // EIP-191 over the 32 bytes, not over their hex text.
  expect(hashMessage({ raw: signableHash })).not.toBe(hashMessage(signableHash))
})

test('args: signTypedData from the session key\'s address', async () => {
  const { client, key } = await h.granted(signing)
  const typedData = {
    domain: { name: 'keyleash test', chainId: 31337 },
    types: { Login: [{ name: 'nonce', type: 'uint256' }] },
    primaryType: 'Login',
    message: { nonce: 5n },
  } as const
  const signature = await client.signTypedData({ account: key, ...typedData })
  expect(await recoverTypedDataAddress({ ...typedData, signature })).toBe(key)
})

test('behavior: once the session is revoked, the key signs nothing: the request goes to the wallet, which does not know that address', async () => {
  const { provider, client, context, key } = await h.granted(signing)
  await provider.sessions.revoke(context)
  const prompts = h.wallet.prompts
  const error = await client.signMessage({ account: key, message: 'too late' }).catch((e: unknown) => e)
  // The wallet's own 4100 (it signs only for its account), passed through by keyleash.
  expect(error).toBeInstanceOf(UnauthorizedProviderError)
  expect(h.wallet.prompts).toBe(prompts)
})
