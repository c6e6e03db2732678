import {
  BaseError,
  createPublicClient,
  createWalletClient,
  decodeErrorResult,
  encodeFunctionData,
  erc20Abi,
  http,
  keccak256,
  numberToHex,
  parseAbi,
  toFunctionSelector,
  type Address,
  type Hex,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { foundry } from 'viem/chains'
import { beforeAll, describe, expect, test } from 'vitest'
import { ANY_SELECTOR, deployDemoNft, deployDevContracts, executeTypedData, sessionAccountAbi, type AccountCall } from '../../src/devwallet/contracts.js'
import { demoTokenAbi } from '../../src/devwallet/artifacts.js'
import { checkScope, type ScopeCall } from '../../src/permissions/scope.js'
import type { Permission, Policy } from '../../src/permissions/types.js'
import type { Session } from '../../src/sessions/types.js'
import { useSharedChain } from '../utils/chain.js'
import { random } from '../utils/random.js'
import { errorReason } from '../utils/revertReasons.js'
import { enforcedBy, enforcedRules } from '../../src/permissions/enforcement.js'

const allWallet = enforcedBy(enforcedRules)

/*
 * The spine of keyleash's promise: what the local scope check allows, the session account
 * executes, and what it refuses, the account reverts, for the same reason. Random sessions and
 * calls (in scope, and off by one in every dimension) are asked of both; any disagreement is a
 * bug in one of them, except where keyleash is stricter by design (`uncounted-token-function`,
 * which the account does not check). Seeded: KEYLEASH_SEED=<n> replays a run.
 */

const chain = useSharedChain()
const seed = Number(process.env.KEYLEASH_SEED ?? Math.floor(Math.random() * 2 ** 31))
const sessions = 45
const callsPerSession = 8

// Anvil's first dev account: the owner, and the relayer that submits.
const owner = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
const recipient: Address = '0x000000000000000000000000000000000000dEaD'


const extraAbi = parseAbi(['function mint(address to)', 'function burn(uint256 id)', 'function transferFrom(address from, address to, uint256 amount)'])
const selectorPool: Hex[] = [
  toFunctionSelector('mint(address)'),
  toFunctionSelector('burn(uint256)'),
  toFunctionSelector('transfer(address,uint256)'),
  toFunctionSelector('approve(address,uint256)'),
  toFunctionSelector('increaseAllowance(address,uint256)'),
  toFunctionSelector('transferFrom(address,address,uint256)'),
  toFunctionSelector('permit(address,address,uint256,uint256,uint8,bytes32,bytes32)'),
]

describe(`local scope check == on-chain decision (KEYLEASH_SEED=${seed})`, () => {
  const publicClient = createPublicClient({ chain: foundry, transport: http(chain.rpcUrl) })
  const walletClient = createWalletClient({ chain: foundry, account: owner, transport: http(chain.rpcUrl) })
  let account: Address
  let nft: Address
  let nft2: Address
  let token: Address

  beforeAll(async () => {
    const deployed = await deployDevContracts(walletClient, publicClient, owner.address)
    account = deployed.sessionAccount
    nft = deployed.demoNft
    token = deployed.demoToken
    nft2 = await deployDemoNft(walletClient, publicClient)
    await chain.testClient.setBalance({ address: account, value: 10n ** 20n })
    const hash = await walletClient.writeContract({ address: token, abi: demoTokenAbi, functionName: 'mint', args: [account, 10n ** 24n] })
    await publicClient.waitForTransactionReceipt({ hash })
  }, 60_000)

  test('every call gets the same decision, and the same reason, from both', async () => {
    const rng = random(seed)
    const block = await publicClient.getBlock()
    let time = Number(block.timestamp) + 100
    let compared = 0
    let allowed = 0
    let executed = 0
    let stricter = 0
    const disagreements: string[] = []

    for (let s = 0; s < sessions; s++) {
      const key = privateKeyToAccount(keccak256(numberToHex(seed * 1000 + s + 1, { size: 32 })))
      const { session, register } = randomSession(rng, key.address, time)
      // Every block is mined at a time the test chose, so the clock never runs ahead of `time`.
      await send('registerSession', register, ++time)
      if (session.status === 'revoked') await send('revokeSession', [key.address], ++time)

      for (let c = 0; c < callsPerSession; c++) {
        time += 1
        const call = randomCall(rng, session)
        const local = checkScope(session, [call], { chainId: foundry.id, now: time, canSign: true })
        const chainDecision = await onChain(key, call, time)
        compared++
        const localReason = local.allowed ? null : (local.reasons[0]?.reason ?? null)
        // One rule is keyleash's alone, checked after the account's: on a token with an allowance,
        // a function whose amount is not counted must be named (the account executes it). There,
        // and only there, keyleash refusing what the account allows is agreement.
        if (localReason === 'uncounted-token-function' && chainDecision.reason === null) stricter++
        else if ((chainDecision.reason ?? null) !== localReason)
          disagreements.push(`session ${s} call ${c} ${JSON.stringify(call, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}: local ${localReason ?? 'allowed'}, chain ${chainDecision.reason ?? 'allowed'} (${chainDecision.error ?? ''})`)
        if (local.allowed) allowed++
        if (local.allowed && chainDecision.reason === null && chainDecision.executable) {
          // Both allow: do it for real, so that usage (limits, allowances) moves on both sides.
          await chain.testClient.setNextBlockTimestamp({ timestamp: BigInt(time) })
          await execute(key, call)
          session.usage = local.usage
          executed++
        }
      }
    }
    expect(disagreements, `KEYLEASH_SEED=${seed} (${stricter} calls refused by keyleash alone, by design)`).toStrictEqual([])
    expect(compared).toBeGreaterThanOrEqual(300)
    // The generator must reach both sides, or the agreement proves little.
    expect(allowed).toBeGreaterThan(60)
    expect(compared - allowed).toBeGreaterThan(60)
    // Runs execute 29 to 47 calls as a rule, and seed 1493643370 19: the floor is for a generator
    // that stopped reaching execution, not a bar a fair seed can miss.
    expect(executed).toBeGreaterThan(10)
  }, 240_000)

  function randomSession(rng: ReturnType<typeof random>, key: Address, now: number) {
    const permissions: Permission[] = []
    const scopes: { target: Address; selector: Hex }[] = []
    for (const target of rng.subset([nft, nft2, token])) {
      const any = rng.chance(0.25)
      const selectors = any ? [] : rng.subset(selectorPool)
      if (!any && selectors.length === 0) continue
      permissions.push({ type: 'contract-call', target, selectors: any ? 'any' : [...selectors].sort() })
      for (const selector of any ? [ANY_SELECTOR] : selectors) scopes.push({ target, selector })
    }
    const tokens: { token: Address; allowance: bigint }[] = []
    if (rng.chance(0.5)) {
      const allowance = BigInt(rng.int(0, 1000))
      permissions.push({ type: 'erc20-transfer', token, allowance })
      tokens.push({ token, allowance })
      scopes.push({ target: token, selector: toFunctionSelector('transfer(address,uint256)') })
    }
    const nativeAllowance = rng.chance(0.5) ? BigInt(rng.int(0, 1000)) : 0n
    if (nativeAllowance > 0n) permissions.push({ type: 'native-transfer', allowance: nativeAllowance })
    const callLimit = rng.chance(0.5) ? rng.int(1, 4) : 0
    const policies: Policy[] = callLimit > 0 ? [{ type: 'call-limit', count: callLimit }] : []
    // Some sessions end before, during or just after their calls; most outlive them.
    const validUntil = now + (rng.chance(0.3) ? rng.int(-2, callsPerSession + 2) : rng.int(callsPerSession, 100))
    const session: Session = {
      id: key,
      chainId: foundry.id,
      account,
      signer: { type: 'account', address: key },
      keyAddress: key,
      expiry: validUntil,
      permissions,
      policies,
      usage: { calls: 0, native: 0n, spent: {} },
      status: rng.chance(0.1) ? 'revoked' : 'active',
      wallet: 'erc7715',
      enforcedBy: allWallet,
      createdAt: now,
    }
    return { session, register: [key, validUntil, scopes, callLimit, nativeAllowance, tokens] as const }
  }

  function randomCall(rng: ReturnType<typeof random>, session: Session): ScopeCall {
    /** One under, exactly, or one over `limit`, never negative. */
    const around = (limit: bigint) => {
      const amount = limit + BigInt(rng.int(-1, 1))
      return amount > 0n ? amount : 0n
    }
    const tokenAllowance = session.permissions.find((p) => p.type === 'erc20-transfer')
    const spent = session.usage.spent[token.toLowerCase()] ?? 0n
    const left = tokenAllowance && 'allowance' in tokenAllowance ? tokenAllowance.allowance - spent : 0n
    // Amounts straddle what is left of the allowance: one under, exactly, one over.
    const amount = rng.chance(0.7) ? around(left) : BigInt(rng.int(0, 2000))
    const nativePermission = session.permissions.find((p) => p.type === 'native-transfer')
    const nativeLeft = nativePermission && 'allowance' in nativePermission ? nativePermission.allowance - session.usage.native : 0n
    const value = rng.chance(0.1) ? around(nativeLeft) : 0n
    const calldata: Hex[] = [
      encodeFunctionData({ abi: extraAbi, functionName: 'mint', args: [recipient] }),
      encodeFunctionData({ abi: extraAbi, functionName: 'burn', args: [1n] }),
      encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [recipient, amount] }),
      encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [recipient, amount] }),
      encodeFunctionData({ abi: demoTokenAbi, functionName: 'increaseAllowance', args: [recipient, amount] }),
      encodeFunctionData({ abi: extraAbi, functionName: 'transferFrom', args: [account, recipient, amount] }),
      encodeFunctionData({ abi: demoTokenAbi, functionName: 'permit', args: [account, recipient, amount, 0n, 27, `0x${'11'.repeat(32)}`, `0x${'22'.repeat(32)}`] }),
    ]
    const dataFor = (selector: Hex) => calldata[selectorPool.indexOf(selector)] ?? rng.pick(calldata)

    // Most calls start from something the session granted, so both sides are reached; the
    // amounts and values above already straddle the limits, and some calls go anywhere.
    const granted = rng.chance(0.7) ? rng.pick(session.permissions) : undefined
    if (granted?.type === 'contract-call') {
      const selector = granted.selectors === 'any' ? rng.pick(selectorPool) : rng.pick(granted.selectors)
      return { to: granted.target, data: dataFor(selector), value }
    }
    if (granted?.type === 'erc20-transfer') return { to: token, data: dataFor(rng.pick(selectorPool.slice(2))), value }
    if (granted?.type === 'native-transfer') return { to: rng.pick([recipient, nft]), data: '0x', value: around(nativeLeft) }
    const target = rng.pick([nft, nft2, token, account, recipient])
    // A transfer selector with only one word after it: too short to hold the amount.
    const short = `${toFunctionSelector('transfer(address,uint256)')}${'00'.repeat(32)}` as Hex
    const data = rng.chance(0.1) ? short : rng.chance(0.1) ? '0x' : rng.pick(calldata)
    return { to: target, data, value }
  }

  async function send(functionName: 'registerSession' | 'revokeSession', args: readonly unknown[], at: number) {
    await chain.testClient.setNextBlockTimestamp({ timestamp: BigInt(at) })
    const hash = await walletClient.writeContract({ address: account, abi: sessionAccountAbi, functionName, args } as never)
    const receipt = await publicClient.waitForTransactionReceipt({ hash })
    if (receipt.status !== 'success') throw new Error(`${functionName} failed`)
  }

  async function signed(key: ReturnType<typeof privateKeyToAccount>, call: ScopeCall) {
    const calls: AccountCall[] = [{ target: call.to, value: call.value ?? 0n, data: call.data ?? '0x' }]
    const nonce = BigInt(keccak256(numberToHex(Math.floor(Math.random() * 2 ** 48), { size: 32 })))
    const signature = await key.signTypedData(executeTypedData(account, foundry.id, calls, nonce))
    return { calls, nonce, signature }
  }

  /** The account's decision: `reason` null when every scope rule passed (the call itself may still fail). */
  async function onChain(key: ReturnType<typeof privateKeyToAccount>, call: ScopeCall, time: number) {
    const { calls, nonce, signature } = await signed(key, call)
    const data = encodeFunctionData({ abi: sessionAccountAbi, functionName: 'execute', args: [calls, nonce, signature] })
    try {
      await publicClient.call({ account: owner.address, to: account, data, blockOverrides: { time: BigInt(time) } })
      return { reason: null, executable: true }
    } catch (error) {
      const reverted = error instanceof BaseError ? error.walk((e) => 'data' in (e as object) && typeof (e as { data?: unknown }).data === 'string') : undefined
      const revertData = (reverted as { data?: Hex } | null)?.data
      if (!revertData) throw error
      const { errorName, args } = decodeErrorResult({ abi: sessionAccountAbi, data: revertData })
      if (errorName === 'CallFailed') return { reason: null, executable: false }
      const reason = errorReason[errorName]
      if (!reason) throw new Error(`the account reverted with ${errorName}, which no scope rule maps to`)
      return { reason, executable: false, error: `${errorName}(${(args ?? []).join(', ')})` }
    }
  }

  async function execute(key: ReturnType<typeof privateKeyToAccount>, call: ScopeCall) {
    const { calls, nonce, signature } = await signed(key, call)
    const hash = await walletClient.writeContract({ address: account, abi: sessionAccountAbi, functionName: 'execute', args: [calls, nonce, signature] })
    const receipt = await publicClient.waitForTransactionReceipt({ hash })
    if (receipt.status !== 'success') throw new Error(`execute ${hash} reverted although the simulation passed`)
  }

})
