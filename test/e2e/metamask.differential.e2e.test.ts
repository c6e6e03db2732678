import { DelegationManager } from '@metamask/delegation-abis'
import { erc7715ProviderActions } from '@metamask/smart-accounts-kit/actions'
import { type Address, type Hex, createPublicClient, createWalletClient, custom, encodeFunctionData, encodePacked, erc20Abi, http, numberToHex, parseEther, toHex, zeroHash } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { anvil } from 'viem/chains'
import { beforeAll, expect, test } from 'vitest'
import { createDevMetaMask, type DevMetaMask } from '../../src/devwallet/metamask/index.js'
import { type ScopeCall, checkScope } from '../../src/permissions/scope.js'
import { withSessionKeys } from '../../src/provider.js'
import type { Session } from '../../src/sessions/types.js'
import { advancedPermissions, erc7710Executor, executionPermissions } from '../../src/wallets.js'
import { useMetaMaskChain } from '../utils/metamaskFramework.js'
import { receiptOf } from '../utils/receipt.js'

/*
 * keyleash's local decision against MetaMask's real enforcers, call by call: 320 random calls
 * under nine grants (periods, streams, allowances, payees, redeemers, a revocation), the clock moved
 * between them across period boundaries. A call keyleash allows goes through keyleash and must be
 * redeemed on chain; a call it refuses is redeemed directly by the session key and must revert,
 * except one refused only for a payee on an allowance: MetaMask puts no payee caveat on an
 * allowance, so that rule is keyleash's alone and the chain must accept the call (simulated).
 * Any disagreement fails the test, naming the step.
 */

const { rpcUrl, testClient, framework } = useMetaMaskChain()
const publicClient = createPublicClient({ chain: anvil, transport: http(rpcUrl), pollingInterval: 5 })
const steps = 320
const period = 3_600
let metamask: DevMetaMask

beforeAll(async () => {
  metamask = await createDevMetaMask({ rpcUrl, environment: framework() })
}, 60_000)

/** A seeded generator (mulberry32): the same calls on every run. */
function random(seed: number) {
  let state = seed
  const next = () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return { next, int: (max: number) => Math.floor(next() * max), pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)] as T }
}

/** A refusal for a rule no caveat carries: a payee on an allowance, which MetaMask leaves to keyleash. */
function keyleashOnly(local: ReturnType<typeof checkScope>, type: string | undefined): boolean {
  if (local.allowed || !type?.endsWith('-allowance')) return false
  return local.reasons.every((reason) => reason === null || reason.reason === 'payee-not-allowed')
}

const erc20 = (functionName: 'transfer' | 'approve', to: Address, amount: bigint): Hex => encodeFunctionData({ abi: erc20Abi, functionName, args: [to, amount] })

test('behavior: over 320 random calls under nine grants, keyleash allows exactly what MetaMask\'s enforcers redeem', async () => {
  await testClient.mine({ blocks: 1 })
  let clock = Number((await publicClient.getBlock()).timestamp)
  const provider = withSessionKeys(metamask.provider, { wallet: executionPermissions, executor: erc7710Executor(), now: () => clock })
  const client = createWalletClient({ chain: anvil, transport: custom(provider) }).extend(erc7715ProviderActions())
  const privateKey = generatePrivateKey()
  const key = await provider.sessions.importKey(privateKey)
  await testClient.setBalance({ address: key, value: parseEther('100') })
  const direct = createWalletClient({ account: privateKeyToAccount(privateKey), chain: anvil, transport: http(rpcUrl) })
  const token = metamask.contracts.token
  const payee = '0x000000000000000000000000000000000000bEEF' as Address
  const others = [payee, '0x0000000000000000000000000000000000000c0c', key] as Address[]

  const start = clock + 30
  const base = { chainId: anvil.id, to: key, expiry: clock + 30 * period }
  const granted = await client.requestExecutionPermissions([
    { ...base, permission: { type: 'native-token-periodic', data: { periodAmount: 1000n, periodDuration: period, startTime: start }, isAdjustmentAllowed: false } },
    { ...base, permission: { type: 'native-token-stream', data: { initialAmount: 100n, amountPerSecond: 2n, maxAmount: 5000n, startTime: start }, isAdjustmentAllowed: false } },
    { ...base, permission: { type: 'native-token-allowance', data: { allowanceAmount: 3000n, startTime: start }, isAdjustmentAllowed: false }, payee: [payee] },
    { ...base, permission: { type: 'erc20-token-periodic', data: { tokenAddress: token, periodAmount: 1000n, periodDuration: period, startTime: start }, isAdjustmentAllowed: false }, payee: [payee] },
    { ...base, permission: { type: 'erc20-token-stream', data: { tokenAddress: token, initialAmount: 0n, amountPerSecond: 3n, maxAmount: 8000n, startTime: start }, isAdjustmentAllowed: false } },
    { ...base, permission: { type: 'erc20-token-allowance', data: { tokenAddress: token, allowanceAmount: 4000n, startTime: start }, isAdjustmentAllowed: false } },
    { ...base, permission: { type: 'erc20-token-revocation', data: {}, isAdjustmentAllowed: false } },
    // The redeemer rule: the session key redeems, so naming it allows, naming another refuses.
    { ...base, permission: { type: 'native-token-periodic', data: { periodAmount: 500n, periodDuration: period, startTime: start }, isAdjustmentAllowed: false }, redeemer: [key] },
    { ...base, permission: { type: 'erc20-token-allowance', data: { tokenAddress: token, allowanceAmount: 500n, startTime: start }, isAdjustmentAllowed: false }, redeemer: [payee] },
  ])
  // What each grant spends, by index: the calls are shaped for it.
  const kinds = ['native', 'native', 'native', 'erc20', 'erc20', 'erc20', 'revocation', 'native', 'erc20'] as const
  const contexts = granted.map((grant) => grant.context as Hex)
  const manager = metamask.environment.DelegationManager

  /** A call for grant `g`: mostly the right shape with an amount around what is left, sometimes not. */
  function callFor(g: number, rng: ReturnType<typeof random>): ScopeCall {
    const amount = BigInt(rng.pick([0, 1, 50, 200, 400, 700, 1000, 1500, 3000, 5000]))
    const shape = rng.next()
    const to = rng.next() < 0.85 && g !== 2 && g !== 3 ? rng.pick(others) : rng.next() < 0.8 ? payee : rng.pick(others)
    if (kinds[g] === 'native') {
      if (shape < 0.1) return { to, value: amount, data: '0x12345678' }
      return { to, value: amount }
    }
    if (kinds[g] === 'erc20') {
      if (shape < 0.05) return { to: rng.pick(others), data: erc20('transfer', to, amount) }
      if (shape < 0.1) return { to: token, data: erc20('approve', to, amount) }
      if (shape < 0.15) return { to: token, data: erc20('transfer', to, amount), value: 1n }
      return { to: token, data: erc20('transfer', to, amount) }
    }
    if (shape < 0.6) return { to: token, data: erc20('approve', to, 0n) }
    if (shape < 0.8) return { to: token, data: erc20('approve', to, amount + 1n) }
    if (shape < 0.9) return { to: token, data: erc20('transfer', to, amount) }
    return { to: token, data: erc20('approve', to, 0n), value: 1n }
  }

  const rng = random(7715)
  const tally = { allowed: 0, refused: 0, keyleashOnly: 0 }
  const timings = { redeem: [] as number[], check: [] as number[], estimate: [] as number[] }
  for (let step = 0; step < steps; step++) {
    // Mostly seconds apart, sometimes across a period boundary; the first ones before the start.
    clock += rng.pick([1, 1, 2, 5, 17, 60, 300, period - 10, period + 5])
    await testClient.setNextBlockTimestamp({ timestamp: BigInt(clock) })
    const g = rng.int(contexts.length)
    const context = contexts[g] as Hex
    const call = callFor(g, rng)
    const session = (await provider.sessions.get(context)) as Session
    const before = performance.now()
    const local = checkScope(session, [call], { chainId: anvil.id, now: clock, canSign: true, permissionKinds: advancedPermissions })
    timings.check.push(performance.now() - before)
    const redeemData = encodeFunctionData({
      abi: DelegationManager,
      functionName: 'redeemDelegations',
      args: [[context], [zeroHash], [encodePacked(['address', 'uint256', 'bytes'], [call.to, call.value ?? 0n, call.data ?? '0x'])]],
    })
    let redeemed: boolean
    let detail = ''
    if (local.allowed) {
      tally.allowed++
      const started = performance.now()
      try {
        await provider.request({
          method: 'wallet_sendCalls',
          params: [{ version: '2.0.0', chainId: numberToHex(anvil.id), atomicRequired: true, calls: [{ to: call.to, data: call.data, value: call.value === undefined ? undefined : toHex(call.value) }], capabilities: { permissions: { context } } }],
        })
        redeemed = true
        timings.redeem.push(performance.now() - started)
      } catch (error) {
        redeemed = false
        detail = (error as Error).message
      }
    } else if (keyleashOnly(local, granted[g]?.permission.type)) {
      // A rule only keyleash holds: the chain would redeem it. Simulated, so it spends nothing keyleash did not book.
      tally.keyleashOnly++
      const accepted = await publicClient.call({ account: key, to: manager, data: redeemData }).then(
        () => true,
        (error: Error) => {
          detail = error.message
          return false
        },
      )
      expect(accepted, `step ${step}: grant ${granted[g]?.permission.type}, call to ${call.to}: keyleash alone refuses a payee on an allowance (MetaMask puts no payee caveat on one), so the chain accepts it (${detail})`).toBe(true)
      continue
    } else {
      tally.refused++
      if (timings.estimate.length < 30) {
        const started = performance.now()
        await publicClient.estimateGas({ account: key, to: manager, data: redeemData }).catch(() => undefined)
        timings.estimate.push(performance.now() - started)
        await testClient.setNextBlockTimestamp({ timestamp: BigInt(clock) })
      }
      const hash = await direct.sendTransaction({ to: manager, data: redeemData, gas: 1_500_000n })
      const receipt = await receiptOf(publicClient, hash)
      redeemed = receipt.status === 'success'
      detail = local.reasons[0]?.message ?? ''
    }
    expect(redeemed, `step ${step}: grant ${granted[g]?.permission.type}, call ${JSON.stringify(call, (_, v) => (typeof v === 'bigint' ? v.toString() : v))} at ${clock}: keyleash ${local.allowed ? 'allowed' : 'refused'} it, the chain ${redeemed ? 'redeemed' : 'reverted'} (${detail})`).toBe(local.allowed)
  }
  // Both sides of the rules were exercised, not one.
  expect(tally.allowed).toBeGreaterThan(50)
  expect(tally.refused).toBeGreaterThan(60)
  expect(tally.keyleashOnly).toBeGreaterThan(0)
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number
  console.log(
    `differential: ${steps} calls, ${tally.allowed} redeemed, ${tally.refused} refused, ${tally.keyleashOnly} refused by keyleash alone (payee on an allowance); redemption round trip median ${median(timings.redeem).toFixed(1)} ms; local check median ${(median(timings.check) * 1000).toFixed(1)} µs; eth_estimateGas median ${median(timings.estimate).toFixed(2)} ms`,
  )
}, 300_000)
