import { erc7715ProviderActions } from '@metamask/smart-accounts-kit/actions'
import { DelegationManager } from '@metamask/delegation-abis'
import { type Address, BaseError, type Hex, createPublicClient, createWalletClient, custom, encodeFunctionData, encodePacked, erc20Abi, getAddress, http, numberToHex, parseEther, zeroHash } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { anvil } from 'viem/chains'
import { beforeAll, describe, expect, test } from 'vitest'
import { createDevMetaMask, type DevMetaMask } from '../../src/devwallet/metamask/index.js'
import { advancedPermissionTypes } from '../../src/permissions/advancedTypes.js'
import { withSessionKeys } from '../../src/provider.js'
import { erc7710Executor, executionPermissions } from '../../src/wallets.js'
import { useMetaMaskChain } from '../utils/metamaskFramework.js'
import { rejectionOf } from '../utils/rejection.js'

/*
 * MetaMask's code on both sides: the Smart Accounts Kit's own client actions ask through keyleash
 * (`wallet: executionPermissions`), the development MetaMask grants on MetaMask's real Delegation
 * Framework, and calls under a grant are redeemed by the session key on chain (erc7710Executor).
 */

const { rpcUrl, testClient, framework } = useMetaMaskChain()
const publicClient = createPublicClient({ chain: anvil, transport: http(rpcUrl), pollingInterval: 10 })
const day = 86_400
let metamask: DevMetaMask

beforeAll(async () => {
  metamask = await createDevMetaMask({ rpcUrl, environment: framework() })
}, 60_000)

/** The chain's clock: anvil's may be ahead of the wall clock after other files moved it. */
async function chainNow(): Promise<number> {
  await testClient.mine({ blocks: 1 })
  return Number((await publicClient.getBlock()).timestamp)
}

async function setup(wallet: DevMetaMask = metamask, { funded = true } = {}) {
  // keyleash reads the chain's clock, as the enforcers do; `sync` after moving it.
  let offset = 0
  const sync = async () => {
    offset = (await chainNow()) - Math.floor(Date.now() / 1000)
  }
  await sync()
  const now = () => Math.floor(Date.now() / 1000) + offset
  const provider = withSessionKeys(wallet.provider, { wallet: executionPermissions, executor: erc7710Executor(), now })
  const client = createWalletClient({ chain: anvil, transport: custom(provider) }).extend(erc7715ProviderActions())
  const privateKey = generatePrivateKey()
  const key = await provider.sessions.importKey(privateKey)
  // The session key redeems, so it pays the gas.
  if (funded) await testClient.setBalance({ address: key, value: parseEther('1') })
  // Permissions start at keyleash's own now, not at a second `chainNow()`: that one mines a block a second past
  // the first when the chain runs ahead of the wall clock, so the start would lie after keyleash's now.
  return { provider, client, key, privateKey, sync, now: now() }
}

function transfer(to: Address, amount: bigint): Hex {
  return encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [to, amount] })
}

function send(provider: ReturnType<typeof withSessionKeys>, context: Hex, calls: { to: Address; data?: Hex; value?: Hex }[]) {
  return provider.request({ method: 'wallet_sendCalls', params: [{ version: '2.0.0', chainId: numberToHex(anvil.id), atomicRequired: true, calls, capabilities: { permissions: { context } } }] })
}

describe('erc7710Executor: one key, concurrent sends', () => {
  const shop = '0x00000000000000000000000000000000000005a1' as Address
  const balanceOf = (address: Address) => publicClient.readContract({ address: metamask.contracts.token, abi: erc20Abi, functionName: 'balanceOf', args: [address] })
  const hundredADay = (key: Address, now: number) => [
    { chainId: anvil.id, to: key, expiry: now + day, permission: { type: 'erc20-token-periodic' as const, data: { tokenAddress: metamask.contracts.token, periodAmount: 100n, periodDuration: day, startTime: now }, isAdjustmentAllowed: false } },
  ]

  test('behavior: ten concurrent sends under one key all execute, each on its own nonce: 100 of a 100-per-day allowance moved, 100 booked', async () => {
    const { provider, client, key, now } = await setup()
    const context = (await client.requestExecutionPermissions(hundredADay(key, now)))[0]?.context as Hex
    const before = await balanceOf(shop)
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => send(provider, context, [{ to: metamask.contracts.token, data: transfer(shop, 10n) }])))
    expect(results.map((r) => (r.status === 'rejected' ? String((r.reason as Error).message) : 'sent'))).toStrictEqual(Array(10).fill('sent'))
    expect((await balanceOf(shop)) - before).toBe(100n)
    expect(await rejectionOf(send(provider, context, [{ to: metamask.contracts.token, data: transfer(shop, 1n) }]))).toMatchObject({ code: 4100, data: { reasons: [{ reason: 'spend-over-period-limit', remaining: '0' }] } })
  })

  test('error: a transaction the node refuses (its nonce taken by another sender of the key) never reached the chain: its reservation is given back', async () => {
    const { key, privateKey, now } = await setup()
    // The key's nonce is taken, for real, by another sender right before keyleash's transaction arrives,
    // and mined first: still pending, the node would call ours an underpriced replacement instead.
    const node = http(rpcUrl)({ chain: anvil })
    const elsewhere = createWalletClient({ account: privateKeyToAccount(privateKey), chain: anvil, transport: http(rpcUrl) })
    let races = 1
    const racing = custom({
      request: async (args: { method: string; params?: unknown }) => {
        if (args.method === 'eth_sendRawTransaction' && races-- > 0) await publicClient.waitForTransactionReceipt({ hash: await elsewhere.sendTransaction({ to: key, value: 0n }) })
        return node.request(args as Parameters<typeof node.request>[0])
      },
    })
    const raced = withSessionKeys(metamask.provider, { wallet: executionPermissions, executor: erc7710Executor({ transport: racing }), now: () => now })
    await raced.sessions.importKey(privateKey)
    const client = createWalletClient({ chain: anvil, transport: custom(raced) }).extend(erc7715ProviderActions())
    const context = (await client.requestExecutionPermissions(hundredADay(key, now)))[0]?.context as Hex
    const before = await balanceOf(shop)
    const refused = await rejectionOf(send(raced, context, [{ to: metamask.contracts.token, data: transfer(shop, 30n) }]))
    expect(String(refused.message)).toMatch(/nonce/i)
    expect(await balanceOf(shop)).toBe(before)
    // Nothing stays booked: the whole 100 is still there.
    await send(raced, context, [{ to: metamask.contracts.token, data: transfer(shop, 100n) }])
    expect((await balanceOf(shop)) - before).toBe(100n)
  })
})

describe('the kit through keyleash to the development MetaMask', () => {
  test('default: all eight permission types are granted in one request, after one prompt, and the kit parses every answer', async () => {
    const { client, key, now } = await setup()
    const token = metamask.contracts.token
    const base = { chainId: anvil.id, to: key, expiry: now + day }
    const prompts = metamask.prompts
    const granted = await client.requestExecutionPermissions([
      { ...base, permission: { type: 'native-token-stream', data: { amountPerSecond: 10n, maxAmount: 1000n, startTime: now }, isAdjustmentAllowed: false } },
      { ...base, permission: { type: 'native-token-periodic', data: { periodAmount: parseEther('0.1'), periodDuration: day }, isAdjustmentAllowed: false } },
      { ...base, permission: { type: 'native-token-allowance', data: { allowanceAmount: parseEther('0.5') }, isAdjustmentAllowed: false } },
      { ...base, permission: { type: 'erc20-token-stream', data: { tokenAddress: token, initialAmount: 5n, amountPerSecond: 1n, maxAmount: 100n, startTime: now }, isAdjustmentAllowed: false } },
      { ...base, permission: { type: 'erc20-token-periodic', data: { tokenAddress: token, periodAmount: 100n, periodDuration: day }, isAdjustmentAllowed: false } },
      { ...base, permission: { type: 'erc20-token-allowance', data: { tokenAddress: token, allowanceAmount: 100n }, isAdjustmentAllowed: false } },
      { ...base, permission: { type: 'erc20-token-revocation', data: {}, isAdjustmentAllowed: false } },
      {
        ...base,
        permission: {
          type: 'token-approval-revocation',
          data: { erc20Approve: true, erc721Approve: false, erc721SetApprovalForAll: true, permit2Approve: false, permit2Lockdown: false, permit2InvalidateNonces: false },
          isAdjustmentAllowed: false,
        },
      },
    ])
    expect(metamask.prompts - prompts).toBe(1)
    expect(granted.map((g) => g.permission.type)).toStrictEqual([...advancedPermissionTypes])
    for (const grant of granted) {
      expect(grant).toMatchObject({ chainId: anvil.id, from: metamask.account, to: key, delegationManager: getAddress(metamask.environment.DelegationManager), dependencies: [] })
      expect(grant.context).toMatch(/^0x[0-9a-f]+$/)
    }
    // The kit turned the amounts into bigints: keyleash answered them as hex.
    expect(granted[1]?.permission.data).toStrictEqual({ periodAmount: parseEther('0.1'), periodDuration: day, startTime: expect.any(Number) })
    expect(granted[3]?.permission.data).toStrictEqual({ tokenAddress: token, initialAmount: 5n, maxAmount: 100n, amountPerSecond: 1n, startTime: now })

    const supported = await client.getSupportedExecutionPermissions()
    expect(Object.keys(supported).sort()).toStrictEqual([...advancedPermissionTypes].sort())
    expect(supported['erc20-token-periodic']).toStrictEqual({ chainIds: [anvil.id], ruleTypes: ['expiry', 'redeemer', 'payee'] })

    const listed = await client.getGrantedExecutionPermissions()
    expect(listed.map((g) => g.context).sort()).toStrictEqual(granted.map((g) => g.context).sort())
  })

  test('behavior: a daily ERC-20 allowance is spent with no prompt, refused past it with the period named, and spendable again the next day', async () => {
    const { provider, client, key, sync, now } = await setup()
    const token = metamask.contracts.token
    const shop = '0x00000000000000000000000000000000000005a0' as Address
    const [grant] = await client.requestExecutionPermissions([
      { chainId: anvil.id, to: key, expiry: now + 7 * day, permission: { type: 'erc20-token-periodic', data: { tokenAddress: token, periodAmount: 100n, periodDuration: day, startTime: now }, isAdjustmentAllowed: false } },
    ])
    const context = grant?.context as Hex
    const prompts = metamask.prompts
    await send(provider, context, [{ to: token, data: transfer(shop, 60n) }])
    expect(await publicClient.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [shop] })).toBe(60n)

    const refused = await rejectionOf(send(provider, context, [{ to: token, data: transfer(shop, 41n) }]))
    expect(refused.code).toBe(4100)
    expect(refused.data.reasons[0]).toMatchObject({ reason: 'spend-over-period-limit', remaining: '40', periodAmount: '100', periodEnd: now + day })

    await testClient.increaseTime({ seconds: day })
    await sync()
    // Two transfers, one transaction: each is its own redemption.
    await send(provider, context, [
      { to: token, data: transfer(shop, 50n) },
      { to: token, data: transfer(shop, 50n) },
    ])
    expect(await publicClient.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [shop] })).toBe(160n)
    expect(metamask.prompts).toBe(prompts)
  })

  test('behavior: keyleash answers wallet_getCallsStatus for the redemptions it sent, so viem waits on them; other ids still go to MetaMask', async () => {
    const { provider, client, key, now } = await setup()
    const [grant] = await client.requestExecutionPermissions([
      { chainId: anvil.id, to: key, expiry: now + day, permission: { type: 'native-token-allowance', data: { allowanceAmount: parseEther('1'), startTime: now }, isAdjustmentAllowed: false } },
    ])
    const { id } = (await send(provider, grant?.context as Hex, [{ to: key, value: '0x1' }])) as { id: string }
    const status = await client.waitForCallsStatus({ id, pollingInterval: 10 })
    expect(status).toMatchObject({ id, chainId: anvil.id, status: 'success', statusCode: 200, atomic: true, version: '2.0.0' })
    expect(status.receipts?.map((r) => r.transactionHash)).toStrictEqual([id])
    expect(status.receipts?.[0]?.status).toBe('success')
    // An id keyleash did not make is MetaMask's to answer: the development MetaMask has no such method.
    expect(await rejectionOf(provider.request({ method: 'wallet_getCallsStatus', params: [zeroHash] }))).toMatchObject({ code: 4200 })
  })

  test('behavior: revoked through keyleash, the delegation is disabled on chain: a redemption that skips keyleash reverts', async () => {
    const { provider, client, key, privateKey, now } = await setup()
    const [grant] = await client.requestExecutionPermissions([
      { chainId: anvil.id, to: key, expiry: now + day, permission: { type: 'native-token-allowance', data: { allowanceAmount: parseEther('1'), startTime: now }, isAdjustmentAllowed: false } },
    ])
    const context = grant?.context as Hex
    const prompts = metamask.prompts
    await provider.request({ method: 'wallet_revokeExecutionPermission', params: [{ permissionContext: context }] })
    expect(metamask.prompts - prompts).toBe(1)
    expect(await client.getGrantedExecutionPermissions()).toStrictEqual([])
    const refused = await rejectionOf(send(provider, context, [{ to: key, value: '0x1' }]))
    expect(refused.data.reasons[0]).toMatchObject({ reason: 'revoked' })

    // The session key itself, redeeming without keyleash: the DelegationManager refuses.
    const sessionClient = createWalletClient({ account: privateKeyToAccount(privateKey), chain: anvil, transport: http(rpcUrl) })
    const redeem = sessionClient.writeContract({
      address: metamask.environment.DelegationManager,
      abi: DelegationManager,
      functionName: 'redeemDelegations',
      args: [[context], [zeroHash], [encodePacked(['address', 'uint256', 'bytes'], [key, 1n, '0x'])]],
    })
    await expect(redeem).rejects.toThrow(/CannotUseADisabledDelegation/)
  })

  test('error: an answer keyleash cannot keep is revoked at the development MetaMask before the app hears of it: the delegation is disabled on chain', async () => {
    // The development MetaMask as it is, but for answers that leave out the delegation manager.
    const garbling: DevMetaMask = {
      ...metamask,
      provider: {
        ...metamask.provider,
        request: async (args: { method: string; params?: unknown }) => {
          const answer = await metamask.provider.request(args as never)
          if (args.method !== 'wallet_requestExecutionPermissions') return answer
          return (answer as Record<string, unknown>[]).map(({ delegationManager: _, ...rest }) => rest)
        },
      } as DevMetaMask['provider'],
    }
    const { client, key, privateKey, now } = await setup(garbling)
    const thrown = await client
      .requestExecutionPermissions([
        { chainId: anvil.id, to: key, expiry: now + day, permission: { type: 'native-token-allowance', data: { allowanceAmount: parseEther('1'), startTime: now }, isAdjustmentAllowed: false } },
      ])
      .then(() => undefined, (error: unknown) => error)
    // keyleash's own error, under the kit's (viem's) wrapping: its data names what it revoked.
    const keyleash = thrown instanceof BaseError ? (thrown.walk((e) => (e as { data?: { contexts?: unknown } }).data?.contexts !== undefined) as unknown as { message: string; data: { contexts: Hex[]; revoked: boolean } }) : undefined
    expect(keyleash?.message).toContain('delegationManager')
    expect(keyleash?.message).toContain('the grant was revoked at the wallet')
    expect(keyleash?.data.revoked).toBe(true)
    const [context] = keyleash?.data.contexts ?? []
    expect(context).toMatch(/^0x/)
    const sessionClient = createWalletClient({ account: privateKeyToAccount(privateKey), chain: anvil, transport: http(rpcUrl) })
    const redeem = sessionClient.writeContract({
      address: metamask.environment.DelegationManager,
      abi: DelegationManager,
      functionName: 'redeemDelegations',
      args: [[context as Hex], [zeroHash], [encodePacked(['address', 'uint256', 'bytes'], [key, 1n, '0x'])]],
    })
    await expect(redeem).rejects.toThrow(/CannotUseADisabledDelegation/)
  })

  test('behavior: the session key pays the gas; unfunded, the redemption fails before it is sent and what it reserved is given back', async () => {
    const { provider, client, key, now } = await setup(metamask, { funded: false })
    const token = metamask.contracts.token
    const [grant] = await client.requestExecutionPermissions([
      { chainId: anvil.id, to: key, expiry: now + day, permission: { type: 'erc20-token-allowance', data: { tokenAddress: token, allowanceAmount: 100n, startTime: now }, isAdjustmentAllowed: false } },
    ])
    const context = grant?.context as Hex
    const calls = [{ to: token, data: transfer(key, 70n) }]
    const failed = await rejectionOf(send(provider, context, calls))
    expect(failed.message).toMatch(/^the redemption under session 0x[0-9a-f]{16}… cannot be sent: .*gas required exceeds allowance: 0$/)
    expect(failed.data.hint).toBe(`an enforcer reverts it, or the session key ${key} has no ETH for gas (it pays: fund it)`)
    expect((await provider.sessions.get(context))?.usage).toStrictEqual({ calls: 0, native: 0n, spent: {}, spends: {} })
    await testClient.setBalance({ address: key, value: parseEther('1') })
    await send(provider, context, calls)
    expect((await provider.sessions.get(context))?.usage.spends).toStrictEqual({ 0: { period: 0, spent: 70n } })
    expect(await publicClient.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [key] })).toBe(70n)
  })
})

describe('a user who adjusts the grant (isAdjustmentAllowed)', () => {
  test('behavior: the user lowers a daily allowance on the confirmation screen: the kit, keyleash and the chain all hold the lowered amount', async () => {
    const adjusting = await createDevMetaMask({
      rpcUrl,
      environment: framework(),
      approve: (prompt) => (prompt.method === 'wallet_requestExecutionPermissions' ? { adjust: [{ periodAmount: '0x28' }] } : true),
    })
    const { provider, client, key, privateKey, now } = await setup(adjusting)
    const token = adjusting.contracts.token
    const shop = '0x00000000000000000000000000000000000005a2' as Address
    const [grant] = await client.requestExecutionPermissions([
      { chainId: anvil.id, to: key, expiry: now + day, permission: { type: 'erc20-token-periodic', data: { tokenAddress: token, periodAmount: 100n, periodDuration: day, startTime: now }, isAdjustmentAllowed: true } },
    ])
    expect(grant?.permission.data).toMatchObject({ periodAmount: 40n, periodDuration: day })
    const context = grant?.context as Hex
    expect((await provider.sessions.get(context))?.permissions).toMatchObject([{ type: 'spend', limit: { kind: 'periodic', periodAmount: 40n } }])
    expect((await rejectionOf(send(provider, context, [{ to: token, data: transfer(shop, 41n) }]))).data.reasons[0]).toMatchObject({ reason: 'spend-over-period-limit', periodAmount: '40' })
    await send(provider, context, [{ to: token, data: transfer(shop, 40n) }])
    expect(await publicClient.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [shop] })).toBe(40n)
    // The session key itself, skipping keyleash: the enforcer holds the lowered amount too.
    const sessionClient = createWalletClient({ account: privateKeyToAccount(privateKey), chain: anvil, transport: http(rpcUrl) })
    const redeem = sessionClient.writeContract({
      address: adjusting.environment.DelegationManager,
      abi: DelegationManager,
      functionName: 'redeemDelegations',
      args: [[context], [zeroHash], [encodePacked(['address', 'uint256', 'bytes'], [token, 0n, transfer(shop, 1n)])]],
    })
    await expect(redeem).rejects.toThrow(/transfer-amount-exceeded/)
  })

  test('error: a permission asked with isAdjustmentAllowed: false is not adjusted: the approval hook\'s edit is refused and nothing is granted', async () => {
    const adjusting = await createDevMetaMask({ rpcUrl, environment: framework(), approve: () => ({ adjust: [{ periodAmount: '0x28' }] }) })
    const { provider, client, key, now } = await setup(adjusting)
    const asked = client.requestExecutionPermissions([
      { chainId: anvil.id, to: key, expiry: now + day, permission: { type: 'erc20-token-periodic', data: { tokenAddress: adjusting.contracts.token, periodAmount: 100n, periodDuration: day, startTime: now }, isAdjustmentAllowed: false } },
    ])
    await expect(asked).rejects.toThrow(/does not allow adjustment/)
    expect(await provider.sessions.list()).toStrictEqual([])
  })
})

describe('a counterfactual account (not deployed until used)', () => {
  async function counterfactual() {
    const wallet = await createDevMetaMask({ rpcUrl, environment: framework(), deployAccount: false, token: metamask.contracts.token })
    const { client, provider, key, privateKey, now } = await setup(wallet)
    expect(await publicClient.getCode({ address: wallet.account })).toBeUndefined()
    const [grant] = await client.requestExecutionPermissions([
      { chainId: anvil.id, to: key, expiry: now + day, permission: { type: 'erc20-token-allowance', data: { tokenAddress: wallet.contracts.token, allowanceAmount: 100n, startTime: now }, isAdjustmentAllowed: false } },
    ])
    return { wallet, provider, client, key, privateKey, context: grant?.context as Hex, dependencies: grant?.dependencies }
  }

  test('behavior: the grant names the factory; the session key deploys the account, then redeems', async () => {
    const { wallet, provider, key, context, dependencies } = await counterfactual()
    expect(dependencies).toStrictEqual([{ factory: getAddress(metamask.environment.SimpleFactory), factoryData: expect.stringMatching(/^0x[0-9a-f]+$/) }])
    await send(provider, context, [{ to: wallet.contracts.token, data: transfer(key, 30n) }])
    expect(await publicClient.getCode({ address: wallet.account })).toMatch(/^0x[0-9a-f]+$/)
    expect(await publicClient.readContract({ address: wallet.contracts.token, abi: erc20Abi, functionName: 'balanceOf', args: [key] })).toBe(30n)
  })

  test('behavior: revoked before any use, the user operation deploys the account and disables the delegation', async () => {
    const { wallet, provider, key, privateKey, context } = await counterfactual()
    await provider.request({ method: 'wallet_revokeExecutionPermission', params: [{ permissionContext: context }] })
    expect(await publicClient.getCode({ address: wallet.account })).toMatch(/^0x[0-9a-f]+$/)
    const sessionClient = createWalletClient({ account: privateKeyToAccount(privateKey), chain: anvil, transport: http(rpcUrl) })
    const execution = encodePacked(['address', 'uint256', 'bytes'], [wallet.contracts.token, 0n, transfer(key, 1n)])
    await expect(
      sessionClient.writeContract({ address: metamask.environment.DelegationManager, abi: DelegationManager, functionName: 'redeemDelegations', args: [[context], [zeroHash], [execution]] }),
    ).rejects.toThrow(/CannotUseADisabledDelegation/)
  })
})
