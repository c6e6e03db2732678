import { type Address, type Hex, createPublicClient, createWalletClient, encodeFunctionData, erc20Abi, http, keccak256, numberToHex, toFunctionSelector } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { anvil } from 'viem/chains'
import { beforeAll, expect, test } from 'vitest'
import { demoNftAbi, demoTokenAbi, openfortSmartAccountAbi } from '../../src/devwallet/artifacts.js'
import { openfortMasterLimit } from '../../src/devwallet/openfort/accounts.js'
import { deployDemoNft } from '../../src/devwallet/contracts.js'
import { startOpenfortBackend } from '../../src/devwallet/openfort/backend.js'
import { openfortExecutor } from '../../src/execution/openfort.js'
import type { ReasonCode, ScopeCall } from '../../src/permissions/scope.js'
import type { EnforcedRule } from '../../src/permissions/types.js'
import { withSessionKeys } from '../../src/provider.js'
import { memoryStore } from '../../src/sessions/memoryStore.js'
import type { SessionStore } from '../../src/sessions/types.js'
import { openfort } from '../../src/wallets/openfort.js'
import { useSharedChain } from '../utils/chain.js'
import { type DevOpenfort, createDevOpenfort } from '../../src/devwallet/openfort/sdk.js'
import { random } from '../utils/random.js'

/*
 * keyleash's local decision against what the chain does through Openfort, for random sessions
 * granted through Openfort's own SDK and random calls. A call keyleash allows is sent through
 * keyleash (a transaction intent the session key signs); a call it refuses is sent anyway, the
 * key signing the intent at Openfort directly, as a leaked key would. Every disagreement must be
 * a rule the session records as enforced by keyleash alone. Seeded: KEYLEASH_SEED=<n> replays a run.
 */

const { rpcUrl, testClient } = useSharedChain()
const seed = Number(process.env.KEYLEASH_SEED ?? Math.floor(Math.random() * 2 ** 31))
const sessions = 24
const callsPerSession = 9
const recipient: Address = '0x000000000000000000000000000000000000dEaD'
const publicClient = createPublicClient({ chain: anvil, transport: http(rpcUrl), pollingInterval: 10 })

// The rule each of keyleash's reasons stands for.
const ruleOf: Partial<Record<ReasonCode, EnforcedRule>> = {
  'self-call': 'target',
  'target-not-allowed': 'target',
  'selector-not-allowed': 'selector',
  'value-over-limit': 'value',
  'spend-over-allowance': 'spend',
  'call-limit-reached': 'call-limit',
  expired: 'expiry',
}

// The Smart Account model's errors, as the reason keyleash's scope check gives for the same rule.
const errorReason: Record<string, ReasonCode> = {
  UnknownKey: 'revoked',
  KeyNotValidNow: 'expired',
  SelfCall: 'self-call',
  TargetNotWhitelisted: 'target-not-allowed',
  LimitReached: 'call-limit-reached',
}

let user: DevOpenfort
let nft2: Address
// Each key's limit as registered, from which the chain's remaining limit tells the calls used.
const registeredLimit = new Map<Address, number>()

beforeAll(async () => {
  // The SDK dates sessions by the system clock: the chain must not run behind it.
  await testClient.setNextBlockTimestamp({ timestamp: BigInt(Math.max(Math.floor(Date.now() / 1000), Number((await publicClient.getBlock()).timestamp) + 1)) })
  await testClient.mine({ blocks: 1 })
  const backend = await startOpenfortBackend({ rpcUrl })
  user = await createDevOpenfort({ rpcUrl, backend })
  const deployer = createWalletClient({ account: privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'), chain: anvil, transport: http(rpcUrl) })
  nft2 = await deployDemoNft(deployer, publicClient)
  const hash = await deployer.writeContract({ address: user.contracts.token, abi: demoTokenAbi, functionName: 'mint', args: [user.account, 10n ** 24n] })
  await publicClient.waitForTransactionReceipt({ hash })
  return () => backend.close()
}, 60_000)

test(`behavior: over 200 random calls, keyleash and the chain through Openfort disagree only on rules keyleash alone enforces (KEYLEASH_SEED=${seed})`, async () => {
  const rng = random(seed)
  const store = memoryStore()
  const provider = withSessionKeys(user.provider, {
    wallet: openfort,
    store,
    executor: openfortExecutor({ backend: { url: user.backend.url, headers: { authorization: `Bearer ${user.backend.secretKey}` } }, account: user.openfortAccount.id }),
  })
  const { nft, token } = user.contracts
  const targets = [nft, nft2, token]
  const pool: { selector: Hex; data: Hex }[] = [
    ['mint(address)', encodeFunctionData({ abi: demoNftAbi, functionName: 'mint', args: [recipient] })],
    ['setApprovalForAll(address,bool)', encodeFunctionData({ abi: demoNftAbi, functionName: 'setApprovalForAll', args: [recipient, true] })],
    ['transfer(address,uint256)', encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [recipient, 1n] })],
    ['approve(address,uint256)', encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [recipient, 1n] })],
    ['balanceOf(address)', encodeFunctionData({ abi: erc20Abi, functionName: 'balanceOf', args: [recipient] })],
  ].map(([signature, data]) => ({ selector: toFunctionSelector(signature as string), data: data as Hex }))

  const disagreements: string[] = []
  const tolerated = new Set<string>()
  let compared = 0
  let allowed = 0
  let executed = 0

  for (let s = 0; s < sessions; s++) {
    const privateKey = keccak256(numberToHex(seed * 1000 + s + 1, { size: 32 }))
    const key = await provider.sessions.importKey(privateKey)
    const permissions = rng.subset(targets).map((address) => ({
      type: 'contract-call' as const,
      data: { address, calls: rng.chance(0.3) ? [] : rng.subset(pool).map((p) => p.selector) },
      policies: [] as { type: { custom: string }; data: { count: number } }[],
    }))
    if (permissions.length === 0) permissions.push({ type: 'contract-call', data: { address: rng.pick(targets), calls: [] }, policies: [] })
    const count = rng.chance(0.5) ? rng.int(1, 4) : undefined
    if (count !== undefined) permissions[0]?.policies.push({ type: { custom: 'call-limit' }, data: { count } })
    registeredLimit.set(key, count ?? openfortMasterLimit)
    const { permissionsContext: id } = (await provider.request({ method: 'wallet_grantPermissions', params: [{ expiry: 3600, signer: { type: 'account', data: { id: key } }, permissions }] })) as { permissionsContext: string }
    if (rng.chance(0.1)) await provider.sessions.revoke(id)

    for (let c = 0; c < callsPerSession; c++) {
      const session = await provider.sessions.get(id)
      if (!session) throw new Error(`session ${id} is gone`)
      // Half the calls start from what the session granted, so both sides are reached.
      const granted = rng.chance(0.5) ? rng.pick(session.permissions) : undefined
      const fits = granted?.type === 'contract-call' ? pool.filter((p) => granted.selectors === 'any' || granted.selectors.includes(p.selector)) : []
      const picked = fits.length > 0 ? rng.pick(fits) : rng.chance(0.85) ? rng.pick(pool) : { selector: '0x' as Hex, data: '0x' as Hex }
      const to = granted?.type === 'contract-call' ? granted.target : rng.chance(0.1) ? user.account : rng.pick(targets)
      const call: ScopeCall = { to, data: picked.data, value: rng.chance(0.1) ? 1n : 0n }
      const local = await provider.sessions.check(id, [call])
      const localReason = local.allowed ? null : (local.reasons[0]?.reason ?? null)
      compared++
      let chainReason: ReasonCode | null
      if (local.allowed) {
        allowed++
        const outcome = await provider
          .request({ method: 'wallet_sendCalls', params: [{ version: '2.0.0', chainId: '0x7a69', from: user.account, atomicRequired: true, calls: [{ to: call.to, data: call.data, value: numberToHex(call.value ?? 0n) }], capabilities: { permissions: { context: id } } }] })
          .then(() => null, (error: Error) => error.message)
        chainReason = reasonIn(outcome)
        if (outcome === null) executed++
        else if (chainReason === null) await resync(store, id, key) // the callee reverted: no scope decision, and nothing was used on chain
      } else {
        const outcome = await signedAtOpenfort(privateKey, call)
        chainReason = reasonIn(outcome)
        // A refused call the chain executed anyway used the key's calls there: tell keyleash.
        if (outcome === null || chainReason === null) await resync(store, id, key)
      }
      if (chainReason === localReason) continue
      // Openfort's Smart Account checks a batch's limit before its targets: where both refuse, the
      // chain may name the limit while keyleash names the first rule it checks.
      if (!local.allowed && chainReason === 'call-limit-reached') continue
      const rule = ruleOf[(local.allowed ? chainReason : localReason) as ReasonCode]
      const line = `session ${s} call ${c} to ${call.to} data ${call.data?.slice(0, 10)} value ${call.value}: keyleash ${localReason ?? 'allows'}, chain ${chainReason ?? 'executes'}`
      if (rule !== undefined && session.enforcedBy[rule] === 'keyleash' && !local.allowed) tolerated.add(rule)
      else disagreements.push(line)
    }
  }

  expect(disagreements, `KEYLEASH_SEED=${seed}`).toStrictEqual([])
  expect(compared).toBeGreaterThanOrEqual(200)
  expect(allowed).toBeGreaterThan(40)
  expect(compared - allowed).toBeGreaterThan(40)
  expect(executed).toBeGreaterThan(20)
  // Openfort never checks functions: the generator must have found that out.
  expect([...tolerated]).toContain('selector')
}, 240_000)

/** The scope rule in a chain refusal (`… execution reverted: TargetNotAllowed(…)`); null when it executed or the callee itself reverted. */
function reasonIn(outcome: string | null): ReasonCode | null {
  if (outcome === null) return null
  const name = /execution reverted: (\w+)\(/.exec(outcome)?.[1]
  if (name === undefined) throw new Error(`not a revert: ${outcome}`)
  return name === 'CallFailed' ? null : (errorReason[name] ?? failWith(`${name}, which no scope rule maps to`))
}

function failWith(message: string): never {
  throw new Error(message)
}

/** keyleash's count of calls set to the chain's, after the key was used where keyleash did not see it. */
async function resync(store: SessionStore, id: string, key: Address) {
  const [, , left] = await publicClient.readContract({ address: user.account, abi: openfortSmartAccountAbi, functionName: 'sessionKeys', args: [key] })
  const registered = registeredLimit.get(key) ?? failWith(`no limit registered for ${key}`)
  // A revoked key reads limit 0 on chain: keyleash refuses it as revoked, whatever its count.
  await store.update(id, (s) => ({ ...s, usage: { ...s.usage, calls: Math.max(0, registered - left) } }))
}

/** The session key signs a transaction intent at Openfort directly; null when it executed, else Openfort's message. */
async function signedAtOpenfort(privateKey: Hex, call: ScopeCall): Promise<string | null> {
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${user.backend.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${user.backend.secretKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
    return { ok: response.ok, answer: (await response.json()) as { id: string; nextAction?: { payload: { signableHash: Hex } }; error?: { message: string } } }
  }
  const intent = await post('/v1/transaction_intents', { account: user.openfortAccount.id, chainId: anvil.id, interactions: [{ to: call.to, data: call.data, value: numberToHex(call.value ?? 0n) }] })
  const signature = await privateKeyToAccount(privateKey).signMessage({ message: { raw: intent.answer.nextAction?.payload.signableHash as Hex } })
  const signed = await post(`/v1/transaction_intents/${intent.answer.id}/signature`, { signature })
  return signed.ok ? null : (signed.answer.error?.message ?? 'no message')
}
