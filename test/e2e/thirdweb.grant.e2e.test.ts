import { type Address, type Hex, createPublicClient, encodeFunctionData, erc721Abi, http, numberToHex, parseEther } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { anvil } from 'viem/chains'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { demoNftAbi, demoTokenAbi } from '../../src/devwallet/artifacts.js'
import { type DevChain, freePort } from '../../src/devwallet/chain.js'
import type { DevBundler } from '../../src/devwallet/erc4337/bundler.js'
import { type DevThirdweb, createDevThirdweb, thirdwebAccountAbi } from '../../src/devwallet/thirdweb/index.js'
import { fund } from '../../src/devwallet/wallet.js'
import { erc4337Executor } from '../../src/execution/erc4337.js'
import { walletEnforcement } from '../../src/permissions/enforcement.js'
import { withSessionKeys } from '../../src/provider.js'
import { memoryStore } from '../../src/sessions/memoryStore.js'
import type { SessionStore } from '../../src/sessions/types.js'
import { thirdwebAccount } from '../../src/wallets/thirdweb/account.js'
import { type ThirdwebOptions, thirdweb } from '../../src/wallets/thirdweb/dialect.js'
import { rejectionOf } from '../utils/rejection.js'
import { thirdwebEnvironment } from '../utils/thirdweb.js'

/*
 * keyleash's grant side for thirdweb's account, against real parts: the account compiled from
 * @thirdweb-dev/contracts, owned by an EOA wallet that speaks no ERC-7715; the EntryPoint v0.6;
 * alto on 127.0.0.1. The grant is turned into the account's own setPermissionsForSigner, signed
 * by the owner through the wallet; the key then runs through ERC-4337 with no prompt.
 */

let env: Awaited<ReturnType<typeof thirdwebEnvironment>>
let chain: DevChain
let bundler: DevBundler
let wallet: DevThirdweb
// The owner's answer to each prompt; a test swaps it to refuse some.
const approveAll = () => true
let approving: (prompt: { method: string }) => boolean = approveAll
const reader = () => createPublicClient({ chain: anvil, transport: http(chain.rpcUrl), pollingInterval: 20 })

beforeAll(async () => {
  env = await thirdwebEnvironment((prompt) => approving(prompt))
  ;({ chain, bundler, wallet } = env)
}, 120_000)
afterAll(() => env?.stop())

const mint = (to: Address): Hex => encodeFunctionData({ abi: demoNftAbi, functionName: 'mint', args: [to] })
const mintToken = (to: Address): Hex => encodeFunctionData({ abi: demoTokenAbi, functionName: 'mint', args: [to, 1n] })
const nftBalance = (owner: Address) => reader().readContract({ address: wallet.contracts.nft, abi: erc721Abi, functionName: 'balanceOf', args: [owner] })
const signersOnAccount = async () => (await reader().readContract({ address: wallet.account, abi: thirdwebAccountAbi, functionName: 'getAllSigners' })).length
const heldFor = (key: Address) => reader().readContract({ address: wallet.account, abi: thirdwebAccountAbi, functionName: 'getPermissionsForSigner', args: [key] })

async function fundedRelayer() {
  const relayer = privateKeyToAccount(generatePrivateKey())
  await fund(reader() as never, relayer.address, parseEther('1'))
  return relayer
}

function setup(dialect: ThirdwebOptions = {}, store: SessionStore = memoryStore(), bundlerUrl = bundler.url) {
  const executor = erc4337Executor({ account: thirdwebAccount(), bundler: bundlerUrl, transport: http(chain.rpcUrl) })
  const provider = withSessionKeys(wallet.provider, { store, account: wallet.account, wallet: thirdweb({ transport: http(chain.rpcUrl), ...dialect }), executor })
  const grant = async (permissions: unknown[], extra: Record<string, unknown> = {}) =>
    (await provider.request({ method: 'wallet_grantPermissions', params: [{ expiry: Math.floor(Date.now() / 1000) + 3600, permissions, ...extra }] })) as { permissionsContext: string; signerData?: unknown }
  const send = (id: string, calls: { to: Address; data?: Hex; value?: Hex }[]) =>
    provider.request({ method: 'wallet_sendCalls', params: [{ version: '2.0.0', chainId: numberToHex(anvil.id), atomicRequired: true, calls, capabilities: { permissions: { context: id } } }] }) as Promise<{ id: Hex }>
  return { provider, store, executor, grant, send }
}

const nftCall = () => ({ type: 'contract-call', data: { address: wallet.contracts.nft, calls: ['mint(address)'] }, policies: [] })

describe('thirdweb: the grant side', () => {
  test('default: the grant is ONE owner prompt (a relayer sends it), five session-signed mints through alto are none; another contract is refused by keyleash; the revoke ends the key on chain and the EntryPoint refuses it', async () => {
    const { provider, store, executor, grant, send } = setup({ relayer: await fundedRelayer() })
    const privateKey = generatePrivateKey()
    const key = await provider.sessions.importKey(privateKey)
    const before = wallet.prompts
    const { permissionsContext: id } = await grant([nftCall()], { signer: { type: 'account', data: { id: key } } })
    expect(wallet.prompts - before).toBe(1)

    const session = await store.get(id)
    expect(session).toMatchObject({ wallet: 'thirdweb', account: wallet.account, enforcedBy: { target: 'wallet', selector: 'keyleash', value: 'wallet', spend: 'keyleash', 'call-limit': 'keyleash', expiry: 'wallet' } })
    expect(await heldFor(key)).toMatchObject({ approvedTargets: [wallet.contracts.nft], nativeTokenLimitPerTransaction: 0n, startTimestamp: 0n, endTimestamp: BigInt(session!.expiry) })

    const minted = await nftBalance(wallet.account)
    for (let i = 0; i < 5; i++) await send(id, [{ to: wallet.contracts.nft, data: mint(wallet.account) }])
    expect(await nftBalance(wallet.account)).toBe(minted + 5n)
    expect(wallet.prompts - before).toBe(1)

    const refused = await rejectionOf(send(id, [{ to: wallet.contracts.token, data: mintToken(wallet.account) }]))
    expect(refused.code).toBe(4100)
    expect(refused.data.reasons[0]).toMatchObject({ reason: 'target-not-allowed' })

    await provider.sessions.revoke(id)
    expect(wallet.prompts - before).toBe(2)
    expect(await heldFor(key)).toMatchObject({ approvedTargets: [], endTimestamp: 0n })
    expect((await store.get(id))?.status).toBe('revoked')
    // The key, straight to the bundler: the account no longer takes it.
    const straight = await rejectionOf(
      Promise.resolve(executor({ inner: wallet.provider, session: session!, chainId: anvil.id, calls: [{ to: wallet.contracts.nft, data: mint(wallet.account), value: 0n }], signer: privateKeyToAccount(privateKey), submitting() {} })),
    )
    expect(straight).toMatchObject({ code: 4100, data: { aaCode: 'AA24' } })
  })

  test('behavior: with no relayer the owner\'s wallet sends setPermissionsForSigner itself: a signature and a transaction, two prompts', async () => {
    const { grant, send } = setup()
    const before = wallet.prompts
    const { permissionsContext: id } = await grant([nftCall()])
    expect(wallet.prompts - before).toBe(2)
    const minted = await nftBalance(wallet.account)
    await send(id, [{ to: wallet.contracts.nft, data: mint(wallet.account) }])
    expect(await nftBalance(wallet.account)).toBe(minted + 1n)
  })

  test('behavior: a native allowance becomes the per-call limit on chain; its total is keyleash\'s, so value is keyleash-enforced', async () => {
    const { grant, store } = setup({ relayer: await fundedRelayer() })
    const { permissionsContext: id } = await grant([nftCall(), { type: 'native-token-transfer', data: { allowance: numberToHex(parseEther('0.01')) }, policies: [] }])
    const session = await store.get(id)
    expect(session?.enforcedBy.value).toBe('keyleash')
    expect((await heldFor(session!.keyAddress!)).nativeTokenLimitPerTransaction).toBe(parseEther('0.01'))
  })

  test('error: a grant thirdweb cannot hold is a -32602 naming the field, before the owner is asked; nothing stored or set', async () => {
    const { grant, store } = setup({ relayer: await fundedRelayer() })
    const before = { prompts: wallet.prompts, signers: await signersOnAccount() }
    const rate = await rejectionOf(grant([{ ...nftCall(), policies: [{ type: 'rate-limit', data: { count: 1, interval: 60 } }] }]))
    expect(rate).toMatchObject({ code: -32602, data: { field: 'policies[0]' } })
    expect(rate.message).toMatchInlineSnapshot(`"policies[0]: thirdweb's account cannot hold a rate-limit policy, and keyleash does not check one; grant without it (a call-limit is kept by keyleash)"`)
    const wildcard = await rejectionOf(grant([{ type: 'contract-call', data: { address: '0x0000000000000000000000000000000000000000', calls: [] }, policies: [] }]))
    expect(wildcard).toMatchObject({ code: -32602, data: { field: 'permissions[0].data.address' } })
    expect({ prompts: wallet.prompts, signers: await signersOnAccount() }).toStrictEqual(before)
    expect(await store.list()).toStrictEqual([])
  })

  test('error: requireWalletEnforcement refuses a grant that names functions: thirdweb checks targets, not selectors', async () => {
    const store = memoryStore()
    const provider = withSessionKeys(wallet.provider, { store, account: wallet.account, wallet: thirdweb({ transport: http(chain.rpcUrl) }), executor: erc4337Executor({ account: thirdwebAccount(), bundler: bundler.url }), requireWalletEnforcement: walletEnforcement() })
    const before = wallet.prompts
    const refused = await rejectionOf(provider.request({ method: 'wallet_grantPermissions', params: [{ expiry: Math.floor(Date.now() / 1000) + 3600, permissions: [nftCall()] }] }))
    expect(refused).toMatchObject({ code: 4100, data: { rule: 'selector' } })
    expect(wallet.prompts).toBe(before)
  })

  test('error: the owner refuses the signature: 4001, nothing stored, nothing set on the account', async () => {
    const { grant, store } = setup({ relayer: await fundedRelayer() })
    const signers = await signersOnAccount()
    approving = () => false
    try {
      const refused = await rejectionOf(grant([nftCall()]))
      expect(refused.code).toBe(4001)
    } finally {
      approving = approveAll
    }
    expect(await store.list()).toStrictEqual([])
    expect(await signersOnAccount()).toBe(signers)
  })

  test('error: with no relayer, the owner signs but declines the transaction: 4001, nothing stored, nothing set on the account', async () => {
    const { grant, store } = setup()
    const signers = await signersOnAccount()
    const before = wallet.prompts
    approving = (prompt) => prompt.method !== 'eth_sendTransaction'
    try {
      const refused = await rejectionOf(grant([nftCall()]))
      expect(refused.code).toBe(4001)
    } finally {
      approving = approveAll
    }
    expect(wallet.prompts - before).toBe(2)
    expect(await store.list()).toStrictEqual([])
    expect(await signersOnAccount()).toBe(signers)
  })

  test('error: a relayer without funds: a -32603 naming it, nothing sent, stored or set (the owner had signed)', async () => {
    const broke = privateKeyToAccount(generatePrivateKey())
    const { grant, store } = setup({ relayer: broke })
    const signers = await signersOnAccount()
    const failed = await rejectionOf(grant([nftCall()]))
    expect(failed.code).toBe(-32603)
    expect(failed.message).toContain(`the relayer ${broke.address} could not send setPermissionsForSigner`)
    expect(failed.data.hint).toContain('fund the relayer')
    expect(await store.list()).toStrictEqual([])
    expect(await signersOnAccount()).toBe(signers)
  })

  test('error: the grant is set on chain but keyleash cannot keep it (its store fails): it is revoked on chain before the app hears', async () => {
    const store = memoryStore()
    const failing: SessionStore = { ...store, keys: store.keys, put: async () => Promise.reject(new Error('disk full')) }
    const { provider, grant } = setup({ relayer: await fundedRelayer() }, failing)
    const key = await provider.sessions.importKey(generatePrivateKey())
    const failed = await rejectionOf(grant([nftCall()], { signer: { type: 'account', data: { id: key } } }))
    expect(failed.code).toBe(-32603)
    expect(failed.message).toMatch(/session store failed: disk full; the grant was revoked at the wallet$/)
    expect(failed.data).toMatchObject({ revoked: true })
    expect(await heldFor(key)).toMatchObject({ approvedTargets: [], endTimestamp: 0n })
  })

  test('error: granted, then the bundler is down: the send is a -32603 that says what to do, the reservation given back; once a bundler answers, the session sends', async () => {
    const store = memoryStore()
    const { grant, send } = setup({ relayer: await fundedRelayer() }, store, `http://127.0.0.1:${await freePort()}`)
    const before = wallet.prompts
    const { permissionsContext: id } = await grant([nftCall()])
    const minted = await nftBalance(wallet.account)
    const failed = await rejectionOf(send(id, [{ to: wallet.contracts.nft, data: mint(wallet.account) }]))
    expect(failed.code).toBe(-32603)
    expect(failed.message).toMatch(/^the bundler could not estimate the UserOperation: nothing answers \(connect ECONNREFUSED/)
    expect(failed.data).toMatchObject({ context: id, hint: 'nothing was sent; start the bundler' })
    expect((await store.get(id))?.usage.calls).toBe(0)
    expect(await nftBalance(wallet.account)).toBe(minted)

    // The session and its key are in the store: a provider whose bundler runs sends under it, with no prompt.
    await setup({}, store).send(id, [{ to: wallet.contracts.nft, data: mint(wallet.account) }])
    expect(await nftBalance(wallet.account)).toBe(minted + 1n)
    expect(wallet.prompts - before).toBe(1)
  })

  test('error: the node the account is read through is down: a -32603 that says so, not "no thirdweb account"; the owner is not asked, nothing stored', async () => {
    const { grant, store } = setup({ relayer: await fundedRelayer(), transport: http(`http://127.0.0.1:${await freePort()}`, { retryCount: 0 }) })
    const before = wallet.prompts
    const failed = await rejectionOf(grant([nftCall()]))
    expect(failed.code).toBe(-32603)
    expect(failed.message).toBe(`${wallet.account} could not be read: HTTP request failed.`)
    expect(failed.data.hint).toBe('check the node (the transport option)')
    expect(wallet.prompts).toBe(before)
    expect(await store.list()).toStrictEqual([])
  })

  test('error: a wallet whose account is not an admin of the thirdweb account is refused (4100) before it is asked anything', async () => {
    const other = await createDevThirdweb({ rpcUrl: chain.rpcUrl, factory: wallet.factory, contracts: wallet.contracts })
    const provider = withSessionKeys(wallet.provider, { account: other.account, wallet: thirdweb(), executor: erc4337Executor({ account: thirdwebAccount(), bundler: bundler.url }) })
    const before = wallet.prompts
    const refused = await rejectionOf(provider.request({ method: 'wallet_grantPermissions', params: [{ expiry: Math.floor(Date.now() / 1000) + 3600, permissions: [nftCall()] }] }))
    expect(refused.code).toBe(4100)
    expect(refused.message).toBe(`the wallet's account ${wallet.owner} is not an admin of the thirdweb account ${other.account}: only an admin signs a session key's permissions`)
    expect(wallet.prompts).toBe(before)
  })

  test('error: the wallet\'s account must administer the account granted on: a -32602 for an address that is no thirdweb account, before any prompt', async () => {
    const provider = withSessionKeys(wallet.provider, { account: wallet.contracts.nft, wallet: thirdweb(), executor: erc4337Executor({ account: thirdwebAccount(), bundler: bundler.url }) })
    const before = wallet.prompts
    const refused = await rejectionOf(provider.request({ method: 'wallet_grantPermissions', params: [{ expiry: Math.floor(Date.now() / 1000) + 3600, permissions: [{ type: 'contract-call', data: { address: wallet.contracts.token, calls: [] }, policies: [] }] }] }))
    expect(refused).toMatchObject({ code: -32602, data: { field: 'address' } })
    expect(wallet.prompts).toBe(before)
  })
})
