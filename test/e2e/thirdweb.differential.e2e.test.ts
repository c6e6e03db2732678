import { type Address, type Hex, BaseError, createPublicClient, createTestClient, decodeErrorResult, encodeFunctionData, http, numberToHex, parseEther, parseEventLogs, toHex } from 'viem'
import { type UserOperation, entryPoint06Abi, entryPoint06Address, getUserOperationHash } from 'viem/account-abstraction'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { anvil } from 'viem/chains'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { demoNftAbi, demoTokenAbi } from '../../src/devwallet/artifacts.js'
import { type DevChain, startDevChain } from '../../src/devwallet/chain.js'
import { deployDemoNft } from '../../src/devwallet/contracts.js'
import { type DevThirdweb, createDevThirdweb, thirdwebAccountAbi } from '../../src/devwallet/thirdweb/index.js'
import { devClients, fund } from '../../src/devwallet/wallet.js'
import { erc4337Executor } from '../../src/execution/erc4337.js'
import { enforcedBy } from '../../src/permissions/enforcement.js'
import { type ReasonCode, type ScopeCall, checkScope } from '../../src/permissions/scope.js'
import type { Permission, Policy } from '../../src/permissions/types.js'
import { withSessionKeys } from '../../src/provider.js'
import { memoryStore } from '../../src/sessions/memoryStore.js'
import type { Session } from '../../src/sessions/types.js'
import { thirdwebAccount } from '../../src/wallets/thirdweb/account.js'
import { heldPermissions } from '../../src/wallets/thirdweb/permissionRequest.js'
import { random } from '../utils/random.js'
import { receiptOf } from '../utils/receipt.js'
import { rejectionOf } from '../utils/rejection.js'
import { sessionFixture } from '../utils/sessionFixture.js'
import { setSignerPermissions } from '../utils/thirdweb.js'

/*
 * keyleash's decision against thirdweb's account on chain, send by send, for random sessions and
 * random sends (one call, `execute`, or a batch of two, `executeBatch`). Each session is held by
 * keyleash as a thirdweb grant would leave it (contract-call targets, a native allowance, an
 * expiry, and rules thirdweb has no field for: selectors, call limits, token allowances), and set
 * on the account by its owner with `setPermissionsForSigner` (approved targets, the native
 * allowance as the per-transaction limit, the expiry as the end).
 *
 * Every send is also signed by the session key as a UserOperation and given straight to the
 * EntryPoint v0.6 (`handleOps` simulated by eth_call from a relayer, at the same block time), as a
 * leaked key would. On the rules thirdweb enforces (target, per-transaction native value, expiry)
 * keyleash's decision without its own rules must be the EntryPoint's, every time. A send keyleash
 * refuses only by a rule of its own is sent to the EntryPoint for real and must execute. A send
 * keyleash allows is sent through keyleash (erc4337Executor, handleOps from a relayer) and must land.
 * The session is stored as the thirdweb dialect keeps what the account holds (`heldPermissions`):
 * native value goes only to the approved targets, as the account sends it.
 * Seeded: KEYLEASH_SEED=<n> replays a run.
 */

const seed = Number(process.env.KEYLEASH_SEED ?? Math.floor(Math.random() * 2 ** 31))
const grants = 24
const sendsPerGrant = 10
const payee: Address = '0x000000000000000000000000000000000000bEEF'
const stranger: Address = '0x0000000000000000000000000000000000000C0C'
// What the UserOperations of the direct path carry: enough for thirdweb's validation and any call here.
const directGas = { callGasLimit: 300_000n, verificationGasLimit: 500_000n, preVerificationGas: 60_000n, maxFeePerGas: 10_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n }

/** The rule each of keyleash's reasons stands for; thirdweb enforces `target`, `value` (per transaction) and `expiry`. */
const ruleOf: Partial<Record<ReasonCode, string>> = {
  'self-call': 'target',
  'target-not-allowed': 'target',
  'value-over-limit': 'value',
  expired: 'expiry',
  'selector-not-allowed': 'selector',
  'spend-over-allowance': 'spend',
  'call-limit-reached': 'call-limit',
  'uncounted-token-function': 'spend',
}
const thirdwebRules = new Set(['target', 'value', 'expiry'])

let chain: DevChain
let wallet: DevThirdweb
let nft2: Address
const relayer = privateKeyToAccount(generatePrivateKey())
const publicClient = () => createPublicClient({ chain: anvil, transport: http(chain.rpcUrl), pollingInterval: 10 })
const testClient = () => createTestClient({ mode: 'anvil', chain: anvil, transport: http(chain.rpcUrl) })

beforeAll(async () => {
  // A chain of its own: the clock is moved across session ends, which no other file should see.
  chain = await startDevChain()
  wallet = await createDevThirdweb({ rpcUrl: chain.rpcUrl })
  const { publicClient: reader, relayerClient } = await devClients(chain.rpcUrl)
  nft2 = await deployDemoNft(relayerClient, reader)
  await reader.waitForTransactionReceipt({
    hash: await relayerClient.writeContract({ address: wallet.contracts.token, abi: demoTokenAbi, functionName: 'mint', args: [wallet.account, 10n ** 24n] }),
  })
  await fund(reader, relayer.address, parseEther('100'))
}, 120_000)
afterAll(async () => {
  await chain?.stop()
})

type Grant = { targets: Address[]; nativeLimit: bigint; start: number; expiry: number; permissions: Permission[]; policies: Policy[] }

/** A random grant: what keyleash holds, and (targets, limit, expiry) what the account is told. */
function randomGrant(rng: ReturnType<typeof random>, now: number): Grant {
  const { nft, token } = wallet.contracts
  let targets = rng.subset([nft, token, nft2, payee])
  if (targets.length === 0) targets = [rng.pick([nft, token, nft2, payee])]
  const selectorsOf: Record<string, Hex[]> = {
    [nft.toLowerCase()]: ['0x6a627842', '0xa22cb465'], // mint(address), setApprovalForAll
    [nft2.toLowerCase()]: ['0x6a627842', '0xa22cb465'],
    [token.toLowerCase()]: ['0xa9059cbb', '0x095ea7b3', '0x40c10f19'], // transfer, approve, mint
    [payee.toLowerCase()]: ['0x12345678'],
  }
  const permissions: Permission[] = []
  for (const target of targets) {
    if (target === token && rng.chance(0.4)) {
      // A token allowance: keyleash counts it, thirdweb has no field for it (its target is approved).
      permissions.push({ type: 'erc20-transfer', token, allowance: BigInt(rng.pick([100, 1000])) })
      if (rng.chance(0.5)) permissions.push({ type: 'contract-call', target, selectors: ['0x40c10f19'] })
      continue
    }
    const named = rng.subset(selectorsOf[target.toLowerCase()] ?? [])
    permissions.push({ type: 'contract-call', target, selectors: rng.chance(0.6) || named.length === 0 ? 'any' : [...named].sort() })
  }
  const nativeLimit = BigInt(rng.pick([0, 0, 1000, 5000]))
  if (nativeLimit > 0n) permissions.push({ type: 'native-transfer', allowance: nativeLimit })
  const policies: Policy[] = rng.chance(0.3) ? [{ type: 'call-limit', count: rng.int(1, 4) }] : []
  // The window opens at the grant or before it (keyleash's sessions have no start of their own).
  return { targets, nativeLimit, start: rng.pick([0, now - 3600, now]), expiry: now + rng.pick([10, 20, 40, 3600]), permissions, policies }
}

/** A random call: mostly near what was granted, with values around the limit. */
function randomCall(rng: ReturnType<typeof random>, grant: Grant): ScopeCall {
  const { nft, token } = wallet.contracts
  const limit = grant.nativeLimit
  const around = rng.pick(limit > 0n ? [0n, 1n, limit - 1n, limit, limit + 1n, 2n * limit] : [0n, 1n])
  const kind = rng.int(0, 9)
  // Mostly a contract the grant names, sometimes another.
  const granted = (contracts: readonly Address[]) => {
    const named = contracts.filter((contract) => grant.targets.includes(contract))
    return rng.pick(named.length > 0 && rng.chance(0.7) ? named : contracts)
  }
  // The demo contracts take no value: a contract call carries value only above the limit, where both refuse.
  const overLimit = rng.chance(0.1) ? limit + 1n : 0n
  switch (kind) {
    case 0:
    case 1:
      return { to: granted([nft, nft2]), data: encodeFunctionData({ abi: demoNftAbi, functionName: 'mint', args: [wallet.account] }), value: overLimit }
    case 2:
      // Another function of the NFT: thirdweb checks targets, not functions.
      return { to: granted([nft, nft2]), data: encodeFunctionData({ abi: demoNftAbi, functionName: 'setApprovalForAll', args: [stranger, true] }), value: overLimit }
    case 3:
      return { to: token, data: encodeFunctionData({ abi: demoTokenAbi, functionName: 'transfer', args: [payee, BigInt(rng.pick([1, 99, 100, 101, 999, 1000, 1001]))] }), value: overLimit }
    case 4:
      return { to: token, data: encodeFunctionData({ abi: demoTokenAbi, functionName: rng.pick(['approve', 'increaseAllowance'] as const), args: [payee, BigInt(rng.pick([0, 100, 1000, 5000]))] }) }
    case 5:
      return { to: token, data: encodeFunctionData({ abi: demoTokenAbi, functionName: 'mint', args: [wallet.account, 1n] }) }
    case 6:
    case 7:
      return { to: rng.pick([payee, payee, stranger]), value: around }
    case 8:
      return { to: payee, data: '0x12345678', value: around }
    default:
      // The account itself, never an approved target.
      return { to: wallet.account, value: 0n }
  }
}

const json = (value: unknown) => JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))

/**
 * The session as the account sees it: only the rules thirdweb enforces. Functions are open,
 * token allowances and call limits are gone, and the native allowance counts per transaction
 * (nothing used yet), as `nativeTokenLimitPerTransaction` does.
 */
function thirdwebView(session: Session): Session {
  const targets = new Set<string>()
  const permissions: Permission[] = []
  for (const permission of session.permissions) {
    const target = permission.type === 'contract-call' ? permission.target : permission.type === 'erc20-transfer' ? permission.token : undefined
    if (target !== undefined && !targets.has(target.toLowerCase())) {
      targets.add(target.toLowerCase())
      permissions.push({ type: 'contract-call', target, selectors: 'any' })
    }
    if (permission.type === 'native-transfer') permissions.push(permission)
  }
  return { ...session, permissions, policies: [], usage: { calls: 0, native: 0n, spent: {} } }
}

/** A v0.6 UserOperation as `handleOps` takes it: every field there. */
type Operation = Required<Pick<UserOperation<'0.6'>, 'sender' | 'nonce' | 'initCode' | 'callData' | 'callGasLimit' | 'verificationGasLimit' | 'preVerificationGas' | 'maxFeePerGas' | 'maxPriorityFeePerGas' | 'paymasterAndData' | 'signature'>>

/** The session key's UserOperation for `calls` (`execute`, or `executeBatch` for several), signed as thirdweb's account checks it (EIP-191 over the hash). */
async function directOperation(key: ReturnType<typeof privateKeyToAccount>, calls: readonly ScopeCall[]): Promise<Operation> {
  const [only] = calls
  const nonceKey = BigInt(toHex(crypto.getRandomValues(new Uint8Array(24))))
  const userOperation: Operation = {
    sender: wallet.account,
    nonce: nonceKey << 64n,
    initCode: '0x',
    callData:
      calls.length === 1 && only
        ? encodeFunctionData({ abi: thirdwebAccountAbi, functionName: 'execute', args: [only.to, only.value ?? 0n, only.data ?? '0x'] })
        : encodeFunctionData({ abi: thirdwebAccountAbi, functionName: 'executeBatch', args: [calls.map((call) => call.to), calls.map((call) => call.value ?? 0n), calls.map((call) => call.data ?? '0x')] }),
    paymasterAndData: '0x',
    signature: '0x',
    ...directGas,
  }
  const hash = getUserOperationHash({ chainId: anvil.id, entryPointAddress: entryPoint06Address, entryPointVersion: '0.6', userOperation })
  return { ...userOperation, signature: await key.signMessage({ message: { raw: hash } }) }
}

/** What the EntryPoint says to `handleOps([operation])` now: `null` when it takes it, else its FailedOp reason. */
async function entryPointVerdict(operation: Operation): Promise<string | null> {
  const data = encodeFunctionData({ abi: entryPoint06Abi, functionName: 'handleOps', args: [[operation], relayer.address] })
  try {
    await publicClient().call({ account: relayer.address, to: entryPoint06Address, data, gas: 3_000_000n })
    return null
  } catch (error) {
    const revert = error instanceof BaseError ? error.walk((e) => (e as { data?: unknown }).data !== undefined) : undefined
    const raw = (revert as { data?: Hex } | undefined)?.data
    if (typeof raw !== 'string') throw error
    const decoded = decodeErrorResult({ abi: entryPoint06Abi, data: raw })
    if (decoded.errorName !== 'FailedOp') throw error
    return decoded.args[1]
  }
}

test('behavior: over 240 random sends (one call or a batch) under 24 random grants, keyleash decides every rule thirdweb enforces as the EntryPoint does; what keyleash alone refuses, the account executes', async () => {
  console.log(`thirdweb differential: seed ${seed} (KEYLEASH_SEED=${seed} replays it)`)
  const rng = random(seed)
  const started = performance.now()
  const reader = publicClient()
  let clock = Number((await reader.getBlock()).timestamp)
  const store = memoryStore()
  const executor = erc4337Executor({ account: thirdwebAccount(), relayer, transport: http(chain.rpcUrl) })
  const provider = withSessionKeys(wallet.provider, { store, executor, account: wallet.account, now: () => clock })
  const relayerClient = (await devClients(chain.rpcUrl)).relayerClient
  // Block time is the keyleash clock: a block is mined at it before each call, and the next is set to it.
  const tick = async () => {
    await testClient().setNextBlockTimestamp({ timestamp: BigInt(clock) })
    await testClient().mine({ blocks: 1 })
    await testClient().setNextBlockTimestamp({ timestamp: BigInt(clock) })
  }

  // Per rule: calls where keyleash's view of thirdweb's rules and the EntryPoint agreed / disagreed.
  const agreement: Record<string, { agree: number; disagree: number }> = {}
  const count = (rule: string, agreed: boolean) => {
    const entry = (agreement[rule] ??= { agree: 0, disagree: 0 })
    if (agreed) entry.agree++
    else entry.disagree++
  }
  const keyleashOnly: Record<string, number> = {}
  const tally = { allowed: 0, refused: 0, keyleashOnly: 0, calls: 0, sends: 0 }
  const disagreements: string[] = []

  for (let g = 0; g < grants; g++) {
    clock = Number((await reader.getBlock()).timestamp) + 1
    await tick()
    const grant = randomGrant(rng, clock)
    const privateKey = generatePrivateKey()
    const key = privateKeyToAccount(privateKey)
    await provider.sessions.importKey(privateKey)
    await setSignerPermissions(chain.rpcUrl, wallet, key.address, { targets: grant.targets, nativeLimit: grant.nativeLimit, start: BigInt(grant.start), end: BigInt(grant.expiry) })
    const id = `0x${key.address.slice(2).toLowerCase()}`
    await store.put(
      sessionFixture({
        id,
        chainId: anvil.id,
        account: wallet.account,
        signer: { type: 'account', address: key.address },
        keyAddress: key.address,
        expiry: grant.expiry,
        permissions: heldPermissions(grant.permissions, grant.targets),
        policies: grant.policies,
        wallet: 'thirdweb',
        enforcedBy: enforcedBy(['target', 'value', 'expiry']),
        createdAt: clock,
      }),
    )
    clock = Math.max(clock, Number((await reader.getBlock()).timestamp))

    for (let c = 0; c < sendsPerGrant; c++) {
      // Seconds apart; towards the last calls, sometimes just before, at or after the end of the session.
      const jump = c >= sendsPerGrant - 4 ? rng.next() : 1
      clock = jump < 0.2 ? Math.max(clock, grant.expiry - 1) : jump < 0.35 ? Math.max(clock, grant.expiry) : jump < 0.45 ? Math.max(clock, grant.expiry + 1) : clock + rng.pick([1, 1, 2, 3])
      await tick()
      // Mostly one call (`execute`), sometimes a batch of two (`executeBatch`, all or none).
      const calls = rng.chance(0.2) ? [randomCall(rng, grant), randomCall(rng, grant)] : [randomCall(rng, grant)]
      const step = `grant ${g} (targets ${grant.targets.join(',')}, native limit ${grant.nativeLimit}, window ${grant.start}–${grant.expiry}, ${json(grant.permissions)}, ${json(grant.policies)}), send ${c} at ${clock}: ${json(calls)}`
      tally.calls += calls.length
      tally.sends++

      const session = (await store.get(id)) as Session
      const full = await provider.sessions.check(id, calls)
      // thirdweb's limit is per call, also in a batch: each call is checked alone.
      const viewReasons = calls.map((call) => checkScope(thirdwebView(session), [call], { chainId: anvil.id, now: clock, canSign: true })).flatMap((result) => (result.allowed ? [] : result.reasons))
      const viewAllowed = viewReasons.length === 0
      const operation = await directOperation(key, calls)
      const entryPoint = await entryPointVerdict(operation)

      // The rules thirdweb enforces: keyleash's view of them must be the EntryPoint's decision.
      const viewReason = viewReasons.find((reason) => reason !== null)?.reason
      const rule = viewReason === undefined ? 'allowed' : (ruleOf[viewReason] ?? viewReason)
      const agreed = viewAllowed === (entryPoint === null)
      count(rule, agreed)
      if (!agreed) disagreements.push(`${step}: keyleash ${viewAllowed ? 'allows' : `refuses (${viewReason})`} on thirdweb's rules, the EntryPoint ${entryPoint === null ? 'takes it' : `refuses (${entryPoint})`}`)

      const send = () =>
        provider.request({
          method: 'wallet_sendCalls',
          params: [{ version: '2.0.0', chainId: numberToHex(anvil.id), atomicRequired: true, calls: calls.map((call) => ({ to: call.to, data: call.data, value: call.value ? toHex(call.value) : undefined })), capabilities: { permissions: { context: id } } }],
        })
      if (full.allowed) {
        tally.allowed++
        // Allowed: through keyleash, and it lands.
        if (agreed) await expect(send(), step).resolves.toMatchObject({ id: expect.stringMatching(/^0x[0-9a-f]{64}$/) })
        else await send().catch(() => undefined)
        continue
      }
      // Refused: keyleash's send path refuses it too, before anything is signed.
      expect((await rejectionOf(send())).code, step).toBe(4100)
      const reason = full.reasons.find((reason) => reason !== null)?.reason as ReasonCode
      if (!viewAllowed) {
        tally.refused++
        continue
      }
      // Refused by a rule of keyleash's own: the account executes it when the key goes straight to the EntryPoint.
      tally.keyleashOnly++
      const own = reason === 'value-over-limit' ? 'value (total)' : (ruleOf[reason] ?? reason)
      expect(thirdwebRules.has(own), `${step}: keyleash refuses it for ${reason}, a rule thirdweb enforces, yet not on thirdweb's rules alone`).toBe(false)
      keyleashOnly[own] = (keyleashOnly[own] ?? 0) + 1
      if (entryPoint !== null) continue
      const hash = await relayerClient.writeContract({ address: entryPoint06Address, abi: entryPoint06Abi, functionName: 'handleOps', args: [[operation], relayer.address] })
      const receipt = await receiptOf(reader, hash)
      const [event] = parseEventLogs({ abi: entryPoint06Abi, eventName: 'UserOperationEvent', logs: receipt.logs })
      expect(event?.args.success, `${step}: keyleash alone refuses it (${reason}); the account executes it`).toBe(true)
    }
  }

  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  const rules = Object.entries(agreement)
    .map(([rule, { agree, disagree }]) => `${rule} ${agree}/${agree + disagree}`)
    .join(', ')
  console.log(
    `thirdweb differential (seed ${seed}): ${tally.sends} sends (${tally.calls} calls) in ${seconds} s; keyleash allowed ${tally.allowed} (sent, landed), refused ${tally.refused} on thirdweb's rules, ${tally.keyleashOnly} by its own alone (${Object.entries(keyleashOnly).map(([rule, n]) => `${rule} ${n}`).join(', ')}: the account executes them); agreement with the EntryPoint by rule: ${rules}`,
  )
  expect(disagreements).toEqual([])
  // Both sides of each rule thirdweb enforces were exercised, and keyleash's own.
  for (const rule of ['allowed', 'target', 'value', 'expiry']) expect(agreement[rule]?.agree ?? 0, `calls decided by ${rule}`).toBeGreaterThan(5)
  expect(tally.keyleashOnly).toBeGreaterThan(5)
}, 300_000)
