import { type Hex, createPublicClient, encodeFunctionData, http, numberToHex } from 'viem'
import { anvil } from 'viem/chains'
import { beforeAll, describe, expect, test } from 'vitest'
import { demoNftAbi, sessionAccountAbi } from '../../src/devwallet/artifacts.js'
import { devWalletDialects } from '../../src/devwallet/dialects.js'
import { type DevWallet, createDevWallet } from '../../src/devwallet/wallet.js'
import { generateP256Key, p256Signer } from '../../src/sessions/p256Key.js'
import { withSessionKeys } from '../../src/provider.js'
import { memoryStore } from '../../src/sessions/memoryStore.js'
import { p256Keys } from '../../src/sessions/p256Keys.js'
import { useSharedChain } from '../utils/chain.js'
import { sessionSigning } from '../../src/permissions/sessionSigning.js'

/*
 * A non-extractable P-256 session key, end to end on the dev wallet: keyleash makes it
 * (`keyType: p256Keys()`), the ERC-7715 (2025) grant carries it as a `secp256r1` key, the
 * SessionAccount files its point and checks its signatures through the P256VERIFY precompile
 * of anvil's default hardfork, and mints land with no prompt.
 */

const { rpcUrl, testClient } = useSharedChain()
const publicClient = createPublicClient({ chain: anvil, transport: http(rpcUrl), pollingInterval: 10 })
let clockOffset = 0
const now = () => Math.floor(Date.now() / 1000) + clockOffset

beforeAll(async () => {
  await testClient.mine({ blocks: 1 })
  clockOffset = Number((await publicClient.getBlock()).timestamp) - Math.floor(Date.now() / 1000)
})

const mint = (wallet: DevWallet) => ({ to: wallet.contracts.nft, data: encodeFunctionData({ abi: demoNftAbi, functionName: 'mint', args: [wallet.account] }) })

const grantParams = (wallet: DevWallet) => [
  {
    chainId: numberToHex(anvil.id),
    address: wallet.account,
    expiry: now() + 3600,
    permissions: [{ type: 'contract-call', data: { address: wallet.contracts.nft, calls: ['mint(address)'] } }],
  },
]

describe('a P-256 session key on the dev wallet (ERC-7715 2025)', () => {
  let wallet: DevWallet
  beforeAll(async () => {
    wallet = await createDevWallet({ rpcUrl, dialect: 'erc7715-2025' })
  }, 30_000)

  test('default: keyType p256 with the memory store: the session says its key is P-256, and five mints land on chain with no prompt', async () => {
    const store = memoryStore()
    const provider = withSessionKeys(wallet.provider, { wallet: devWalletDialects['erc7715-2025'], keyType: p256Keys(), store, now })
    expect(await wallet.provider.request({ method: 'wallet_getCapabilities', params: [wallet.account, [numberToHex(anvil.id)]] } as never)).toMatchObject({
      [numberToHex(anvil.id)]: { permissions: { keyTypes: ['secp256k1', 'secp256r1'] } },
    })
    const [granted] = (await provider.request({ method: 'wallet_grantPermissions', params: grantParams(wallet) })) as [{ context: string; signer: unknown }]
    const session = await provider.sessions.get(granted.context)
    expect(session?.signer).toStrictEqual({ type: 'key', key: { keyType: 'secp256r1', publicKey: expect.stringMatching(/^0x04[0-9a-f]{128}$/) } })
    expect(granted.signer).toStrictEqual({ type: 'key', data: { type: 'secp256r1', publicKey: (session?.signer as { key: { publicKey: Hex } }).key.publicKey } })
    const keyAddress = session?.keyAddress as Hex
    expect((await store.keys.signer(keyAddress))?.type).toBe('p256')

    const prompts = wallet.prompts
    const before = await publicClient.readContract({ address: wallet.contracts.nft, abi: demoNftAbi, functionName: 'balanceOf', args: [wallet.account] })
    for (let i = 0; i < 5; i++) {
      const id = (await provider.request({
        method: 'wallet_sendCalls',
        params: [{ version: '2.0.0', chainId: numberToHex(anvil.id), from: wallet.account, atomicRequired: true, calls: [mint(wallet)], capabilities: { permissions: { context: granted.context } } }],
      })) as { id: string }
      const status = (await provider.request({ method: 'wallet_getCallsStatus', params: [id.id] })) as { receipts?: { status: string }[] }
      expect(status.receipts?.[0]?.status).toBe('0x1')
    }
    expect(wallet.prompts).toBe(prompts)
    expect(await publicClient.readContract({ address: wallet.contracts.nft, abi: demoNftAbi, functionName: 'balanceOf', args: [wallet.account] })).toBe(before + 5n)
    const onChain = await publicClient.readContract({ address: wallet.account, abi: sessionAccountAbi, functionName: 'getSession', args: [keyAddress] })
    expect(onChain.callsUsed).toBe(5)
    expect((await provider.sessions.get(granted.context))?.usage.calls).toBe(5)
  }, 60_000)

  test('error: a P-256 key has no address to sign as: personal_sign from its name is a 4100, even with signing opted into', async () => {
    const provider = withSessionKeys(wallet.provider, { wallet: devWalletDialects['erc7715-2025'], keyType: p256Keys(), signing: sessionSigning({ hashes: true, messages: true }), now })
    const [granted] = (await provider.request({ method: 'wallet_grantPermissions', params: grantParams(wallet) })) as [{ context: string }]
    const keyAddress = (await provider.sessions.get(granted.context))?.keyAddress as Hex
    await expect(provider.request({ method: 'personal_sign', params: ['0x68656c6c6f', keyAddress] })).rejects.toMatchObject({
      code: 4100,
      message: `${keyAddress} names a P-256 session key, which has no Ethereum address to sign as: it signs only calls keyleash checks (wallet_sendCalls with the session's context)`,
    })
  })

  test('error: a signature by another P-256 key over the digest is refused by the wallet, and the account would refuse it on chain', async () => {
    const provider = withSessionKeys(wallet.provider, { wallet: devWalletDialects['erc7715-2025'], keyType: p256Keys(), now })
    const [granted] = (await provider.request({ method: 'wallet_grantPermissions', params: grantParams(wallet) })) as [{ context: string }]
    const session = await provider.sessions.get(granted.context)
    const key = { type: 'p256', publicKey: (session?.signer as { key: { publicKey: Hex } }).key.publicKey }
    const prepared = (await wallet.provider.request({
      method: 'wallet_prepareCalls',
      params: [{ from: wallet.account, chainId: numberToHex(anvil.id), calls: [mint(wallet)], key }],
    } as never)) as { digest: Hex; context: { calls: { to: Hex; value: Hex; data: Hex }[]; nonce: Hex } }
    const other = p256Signer(await generateP256Key())
    const forged = await other.sign({ hash: prepared.digest })
    await expect(wallet.provider.request({ method: 'wallet_sendPreparedCalls', params: [{ context: prepared.context, key, signature: forged }] } as never)).rejects.toMatchObject({
      code: -32602,
      message: expect.stringContaining('is not the P-256 key'),
    })
    // The account's own check, past the wallet's: `key ‖ r ‖ s` with another key's (r, s).
    const calls = prepared.context.calls.map((c) => ({ target: c.to, value: BigInt(c.value), data: c.data }))
    await expect(
      publicClient.simulateContract({ address: wallet.account, abi: sessionAccountAbi, functionName: 'execute', args: [calls, BigInt(prepared.context.nonce), `${session?.keyAddress}${forged.slice(2)}` as Hex] }),
    ).rejects.toThrow(/InvalidSignature/)
  }, 60_000)
})

describe('a wallet that takes only secp256k1 keys', () => {
  let wallet: DevWallet
  beforeAll(async () => {
    wallet = await createDevWallet({ rpcUrl, dialect: 'erc7715' })
  }, 30_000)

  test('error: keyType p256 offered to a June 2024 wallet is a -32602 before the wallet is asked to grant', async () => {
    const asked: string[] = []
    const inner = { request: (args: { method: string; params?: unknown }) => (asked.push(args.method), wallet.provider.request(args as never)) }
    const provider = withSessionKeys(inner, { keyType: p256Keys(), now })
    const prompts = wallet.prompts
    await expect(
      provider.request({
        method: 'wallet_grantPermissions',
        params: [{ expiry: now() + 3600, permissions: [{ type: 'contract-call', data: { address: wallet.contracts.nft, calls: [] }, policies: [] }] }],
      }),
    ).rejects.toMatchObject({ code: -32602, message: "keyType: offers a P-256 (secp256r1) key, but the erc7715 wallet takes secp256k1 keys" })
    expect(asked).not.toContain('wallet_grantPermissions')
    expect(wallet.prompts).toBe(prompts)
    expect(await provider.sessions.list()).toStrictEqual([])
  })
})
