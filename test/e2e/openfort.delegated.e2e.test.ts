import { type Address, type Hex, createPublicClient, createWalletClient, encodeFunctionData, erc20Abi, http, numberToHex, parseEther } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { anvil } from 'viem/chains'
import { beforeAll, beforeEach, describe, expect, test } from 'vitest'
import { demoNftAbi, demoTokenAbi, openfortDelegatedAccountAbi } from '../../src/devwallet/artifacts.js'
import { type OpenfortBackend, startOpenfortBackend } from '../../src/devwallet/openfort/backend.js'
import { type DevOpenfort, createDevOpenfort } from '../../src/devwallet/openfort/sdk.js'
import { openfortExecutor } from '../../src/execution/openfort.js'
import { walletEnforcement } from '../../src/permissions/enforcement.js'
import type { KeyleashOptions } from '../../src/options.js'
import { withSessionKeys } from '../../src/provider.js'
import { memoryStore } from '../../src/sessions/memoryStore.js'
import { openfortWallet } from '../../src/wallets/openfort.js'
import { catchUpWithSystemClock, useSharedChain } from '../utils/chain.js'
import { rejectionOf } from '../utils/rejection.js'
import { delegated, delegatedKeyId } from '../../src/wallets/openfortDelegated/abi.js'

/*
 * keyleash registering a Delegated Account's session keys itself, by the owner's own call on the
 * account through Openfort's real provider (a transaction intent the owner signs), so the account
 * holds the key to the grant's functions, ETH and token limits; then a leaked key, straight to
 * Openfort, is refused on chain what keyleash would refuse.
 */

const { rpcUrl, testClient } = useSharedChain()
const publicClient = createPublicClient({ chain: anvil, transport: http(rpcUrl), pollingInterval: 10 })
const day = 60 * 60 * 24
let backend: OpenfortBackend
let user: DevOpenfort

beforeEach(() => catchUpWithSystemClock(testClient))

beforeAll(async () => {
  backend = await startOpenfortBackend({ rpcUrl })
  user = await createDevOpenfort({ rpcUrl, backend, accountType: 'Delegated Account' })
  return () => backend.close()
}, 60_000)

function keyleashOver(options: KeyleashOptions = {}) {
  const executor = openfortExecutor({ backend: user.api, account: user.accountId, accountType: 'Delegated Account' })
  const provider = withSessionKeys(user.provider, { wallet: openfortWallet({ accountType: 'Delegated Account', registerOnAccount: true }), executor, ...options })
  return { provider }
}

/** Grants straight through keyleash, in viem's June 2024 shape (viem's types know no native-token allowance). */
async function grant(provider: ReturnType<typeof keyleashOver>['provider'], request: object): Promise<{ permissionsContext: string }> {
  return provider.request({ method: 'wallet_grantPermissions', params: [request] } as never)
}

/** Mint only on the NFT, up to `ether` of ETH, and 5 tokens' transfer; three calls. */
const mintRequest = (signer: Address, ether = 0n) => ({
  expiry: day,
  signer: { type: 'account' as const, data: { id: signer } },
  permissions: [
    { type: 'contract-call' as const, data: { address: user.contracts.nft, calls: ['mint(address)'] }, policies: [{ type: { custom: 'call-limit' }, data: { count: 3 } }] },
    ...(ether > 0n ? [{ type: 'native-token-transfer' as const, data: { allowance: numberToHex(ether) }, policies: [] }] : []),
  ],
})

const keyOf = (key: Address) => publicClient.readContract({ address: user.account, abi: openfortDelegatedAccountAbi, functionName: 'getKey', args: [delegatedKeyId(key)] })
const spendOf = async (key: Address, token: Address) => {
  const [, limit, spent] = await publicClient.readContract({ address: user.account, abi: openfortDelegatedAccountAbi, functionName: 'tokenSpend', args: [delegatedKeyId(key), token] })
  return { limit, spent }
}
const canCall = (key: Address, target: Address, selector: Hex) =>
  publicClient.readContract({ address: user.account, abi: openfortDelegatedAccountAbi, functionName: 'hasCanCall', args: [delegatedKeyId(key), target, selector] })

/** What a leaked session key can do at Openfort without keyleash: create an intent and sign it. Answers the backend's JSON. */
async function leakedKeySends(privateKey: Hex, calls: { to: Address; data: Hex; value?: Hex }[]) {
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${backend.url}${path}`, { method: 'POST', headers: { ...user.api.headers, 'content-type': 'application/json' }, body: JSON.stringify(body) })
    return (await response.json()) as { id: string; nextAction?: { payload: { signableHash: Hex } }; response?: { status: number }; error?: { message: string } }
  }
  const intent = await post('/v1/transaction_intents', { account: user.accountId, chainId: anvil.id, interactions: calls })
  const signature = await privateKeyToAccount(privateKey).sign({ hash: intent.nextAction?.payload.signableHash as Hex })
  return post(`/v1/transaction_intents/${intent.id}/signature`, { signature })
}

describe("keyleash registering a Delegated Account's session keys on the account itself", () => {
  test('behavior: one owner transaction registers the key, its functions, ETH limit and call limit on chain, and the session says the wallet enforces them', async () => {
    const { provider } = keyleashOver()
    const key = await provider.sessions.importKey(generatePrivateKey())
    const prompts = user.prompts
    const requests = backend.requests.length
    const { permissionsContext } = await grant(provider, mintRequest(key, parseEther('0.01')))
    expect(user.prompts - prompts).toBe(1)
    // Not Openfort's session API: one transaction intent, the owner's call on its own account.
    expect(backend.requests.slice(requests).map((r) => r.path.replace(/tin_\w+/, ':id'))).toStrictEqual(['/v1/transaction_intents', '/v1/transaction_intents/:id/signature'])
    const held = await keyOf(key)
    expect(held).toMatchObject({ isActive: true, masterKey: false, limits: 3 })
    expect(await canCall(key, user.contracts.nft, '0x6a627842')).toBe(true)
    expect(await spendOf(key, delegated.nativeToken)).toStrictEqual({ limit: parseEther('0.01'), spent: 0n })
    const session = await provider.sessions.get(permissionsContext)
    expect(session?.enforcedBy).toStrictEqual({ target: 'wallet', selector: 'wallet', value: 'wallet', spend: 'wallet', 'call-limit': 'wallet', expiry: 'wallet' })
    expect(held.validUntil).toBe(session?.expiry)
  })

  test('behavior: a leaked key calling a function outside the grant is refused on chain (CallNotAllowed), and so is ETH past the limit (SpendLimitExceeded) or on a call (NoSpendRule)', async () => {
    const { provider } = keyleashOver()
    const privateKey = generatePrivateKey()
    const key = await provider.sessions.importKey(privateKey)
    await grant(provider, mintRequest(key, 1000n))
    const approve = encodeFunctionData({ abi: demoNftAbi, functionName: 'setApprovalForAll', args: [user.owner, true] })
    const outside = await leakedKeySends(privateKey, [{ to: user.contracts.nft, data: approve }])
    expect(outside.error?.message).toContain('CallNotAllowed')
    expect(await publicClient.readContract({ address: user.contracts.nft, abi: demoNftAbi, functionName: 'isApprovedForAll', args: [user.account, user.owner] })).toBe(false)
    expect((await leakedKeySends(privateKey, [{ to: '0x000000000000000000000000000000000000dEaD', data: '0x', value: numberToHex(1001n) }])).error?.message).toContain('SpendLimitExceeded')
    const mint = encodeFunctionData({ abi: demoNftAbi, functionName: 'mint', args: [user.account] })
    expect((await leakedKeySends(privateKey, [{ to: user.contracts.nft, data: mint, value: numberToHex(1n) }])).error?.message).toContain('NoSpendRule')
    // Within the grant, the same leaked key still mints: the refusals are the rules, not the key.
    const within = await leakedKeySends(privateKey, [{ to: user.contracts.nft, data: mint }])
    expect(within.response?.status).toBe(1)
  })

  test('behavior: targets taking different functions are held to their own pairs on chain, and requireWalletEnforcement accepts them', async () => {
    const { provider } = keyleashOver({ requireWalletEnforcement: walletEnforcement() })
    const privateKey = generatePrivateKey()
    const key = await provider.sessions.importKey(privateKey)
    const request = mintRequest(key)
    const { permissionsContext } = await grant(provider, {
      ...request,
      permissions: [...request.permissions, { type: 'contract-call' as const, data: { address: user.contracts.token, calls: ['approve(address,uint256)'] }, policies: [] }],
    })
    expect((await provider.sessions.get(permissionsContext))?.enforcedBy.selector).toBe('wallet')
    // approve is granted on the token, not on the NFT: the account keeps the pair, not the function.
    const approveOnNft = encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [user.owner, 1n] })
    expect((await leakedKeySends(privateKey, [{ to: user.contracts.nft, data: approveOnNft }])).error?.message).toContain('CallNotAllowed')
  })

  test('behavior: a token allowance is held to its limit on chain (SpendLimitExceeded); value is then keyleash\'s alone, and requireWalletEnforcement refuses such a grant before the owner is asked', async () => {
    const { provider } = keyleashOver()
    const privateKey = generatePrivateKey()
    const key = await provider.sessions.importKey(privateKey)
    const tokens = {
      expiry: day,
      signer: { type: 'account' as const, data: { id: key } },
      permissions: [{ type: 'erc20-token-transfer' as const, data: { address: user.contracts.token, allowance: numberToHex(5n) }, policies: [] }],
    }
    const { permissionsContext } = await grant(provider, tokens)
    expect((await provider.sessions.get(permissionsContext))?.enforcedBy).toMatchObject({ spend: 'wallet', value: 'keyleash' })
    expect(await spendOf(key, user.contracts.token)).toStrictEqual({ limit: 5n, spent: 0n })
    const fund = await createWalletClient({ account: privateKeyToAccount(generatePrivateKey()), chain: anvil, transport: http(rpcUrl) })
    await testClient.setBalance({ address: fund.account.address, value: parseEther('1') })
    await publicClient.waitForTransactionReceipt({ hash: await fund.writeContract({ address: user.contracts.token, abi: demoTokenAbi, functionName: 'mint', args: [user.account, 100n] }) })
    const transfer = (amount: bigint) => encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [user.owner, amount] })
    expect((await leakedKeySends(privateKey, [{ to: user.contracts.token, data: transfer(6n) }])).error?.message).toContain('SpendLimitExceeded')
    expect((await leakedKeySends(privateKey, [{ to: user.contracts.token, data: transfer(5n) }])).response?.status).toBe(1)
    const strict = keyleashOver({ requireWalletEnforcement: walletEnforcement() }).provider
    const other = await strict.sessions.importKey(generatePrivateKey())
    const prompts = user.prompts
    const error = await rejectionOf(grant(strict, { ...tokens, signer: { type: 'account', data: { id: other } } }))
    expect(error.message).toContain('does not enforce the value rule')
    expect(user.prompts).toBe(prompts)
    expect((await keyOf(other)).isActive).toBe(false)
  })

  test('behavior: revoking the session revokes the key on the account, by the owner\'s own call', async () => {
    const { provider } = keyleashOver()
    const key = await provider.sessions.importKey(generatePrivateKey())
    const { permissionsContext } = await grant(provider, mintRequest(key))
    await provider.request({ method: 'wallet_revokePermissions', params: [{ permissionContext: permissionsContext }] } as never)
    expect((await keyOf(key)).isActive).toBe(false)
    expect(await canCall(key, user.contracts.nft, '0x6a627842')).toBe(false)
  })

  test('error: a grant keyleash cannot keep (the store fails) is revoked on the account, and the error says so', async () => {
    const store = memoryStore()
    const { provider } = keyleashOver({ store: { ...store, put: async () => Promise.reject(new Error('disk full')) } })
    const key = await provider.sessions.importKey(generatePrivateKey())
    const error = await rejectionOf(grant(provider, mintRequest(key)))
    expect(error.message).toContain('the grant was revoked at the wallet')
    expect((await keyOf(key)).isActive).toBe(false)
  })

  test('error: a grant one owner call cannot register (more than 9 calls: the key, each function, each limit) is refused before the owner is asked', async () => {
    const { provider } = keyleashOver()
    const key = await provider.sessions.importKey(generatePrivateKey())
    const prompts = user.prompts
    const calls = ['mint(address)', 'setApprovalForAll(address,bool)', 'approve(address,uint256)', 'transfer(address,uint256)', 'transferFrom(address,address,uint256)', 'burn(uint256)', 'pause()', 'unpause()']
    const error = await rejectionOf(grant(provider, { expiry: day, signer: { type: 'account', data: { id: key } }, permissions: [{ type: 'contract-call', data: { address: user.contracts.nft, calls }, policies: [] }] }))
    expect(error).toMatchObject({ code: -32602 })
    expect(error.message).toContain('at most 9 calls')
    expect(user.prompts).toBe(prompts)
  })

  test('behavior: any function of a contract is registered as the account\'s any-function pair', async () => {
    const { provider } = keyleashOver({ requireWalletEnforcement: walletEnforcement() })
    const key = await provider.sessions.importKey(generatePrivateKey())
    await grant(provider, { expiry: day, signer: { type: 'account', data: { id: key } }, permissions: [{ type: 'contract-call', data: { address: user.contracts.nft }, policies: [] }] })
    expect(await canCall(key, user.contracts.nft, delegated.anyFunction)).toBe(true)
  })
})
