// Signing later: picking the session that covers a call among 10,000 (target ≤ 20 µs), and a
// session-signed personal_sign through the middleware against viem's signMessage on the same
// key (target: the median of per-round CPU ratios ≤ 1.10). Run alone: node --import tsx bench/signing.bench.ts
import { fileURLToPath } from 'node:url'
import { bench, do_not_optimize, run as runBenches } from 'mitata'
import { encodeFunctionData, keccak256, numberToHex, parseAbi, slice, type Address, type Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import type { MethodContext } from '../src/methods/types.js'
import { withSessionKeys } from '../src/provider.js'
import { memoryStore } from '../src/sessions/memoryStore.js'
import { pickSession, routeTargets } from '../src/sessions/pickSession.js'
import { resolveOptions } from '../src/resolveOptions.js'
import { sessionIndex } from '../src/sessions/sessionIndex.js'
import type { Session } from '../src/sessions/types.js'
import { enforcedBy, enforcedRules } from '../src/permissions/enforcement.js'
import { verdict } from './instantWallet.js'
import { compare, describeComparison, printLoad } from './timing.js'
import { sessionSigning } from '../src/permissions/sessionSigning.js'

const now = 1_800_000_000
const target = 1.1
const account: Address = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
const mint = encodeFunctionData({ abi: parseAbi(['function mint(address)']), functionName: 'mint', args: [account] })
const targetOf = (i: number): Address => slice(keccak256(numberToHex(i)), 12)

async function pickContext(): Promise<MethodContext> {
  const store = memoryStore()
  const keyAddress = await store.keys.generate()
  for (let i = 0; i < 10_000; i++) {
    const session: Session = {
      id: `0x${i.toString(16)}`,
      chainId: 31337,
      account,
      signer: { type: 'account', address: keyAddress },
      keyAddress,
      expiry: now + 3600,
      // Ten sessions per target, so the pick chooses among candidates, not just finds one.
      permissions: [{ type: 'contract-call', target: targetOf(i % 1000), selectors: ['0x6a627842'] }],
      policies: [{ type: 'call-limit', count: 10 }],
      usage: { calls: 0, native: 0n, spent: {} },
      status: 'active',
      wallet: 'erc7715',
      enforcedBy: enforcedBy(enforcedRules),
      createdAt: now - i,
    }
    await store.put(session)
  }
  const index = sessionIndex(store, routeTargets)
  // The accounts this provider serves: the `account` option, as a server would set it.
  return { store, index, now: () => now, options: resolveOptions({ account }) } as unknown as MethodContext
}

async function signingProvider() {
  const privateKey = generatePrivateKey()
  const direct = privateKeyToAccount(privateKey)
  const inner = {
    request: async ({ method }: { method: string }) =>
      method === 'eth_chainId' ? '0x7a69'
      : method === 'eth_accounts' ? [account]
      : { expiry: now + 3600, grantedPermissions: [{ type: 'contract-call', data: { address: targetOf(1), calls: [] } }], permissionsContext: '0x01' },
  }
  // Signing a hash the app brings is an opt-in (it widens the session to what the wallet enforces).
  const provider = withSessionKeys(inner, { now: () => now, signing: sessionSigning({ hashes: true }) })
  const key = await provider.sessions.importKey(privateKey)
  await provider.request({
    method: 'wallet_grantPermissions',
    params: [{ expiry: 3600, signer: { type: 'account', data: { id: key } }, permissions: [{ type: 'contract-call', data: { address: targetOf(1) } }] }],
  })
  return { provider, direct, key }
}

export async function run(): Promise<void> {
  const context = await pickContext()
  const call = [{ to: targetOf(500), data: mint }]
  // Builds the index once, as the first use would; a miss here would time a pick that finds nothing.
  if ((await pickSession(context, 31337, account, call)) === undefined) throw new Error('the bench context picks no session')
  const { provider, direct, key } = await signingProvider()
  const hash: Hex = keccak256('0x1234')

  printLoad('signing')
  bench('pick the session for a call among 10,000 sessions', async () => do_not_optimize(await pickSession(context, 31337, account, call)))
  const result = await runBenches()
  const pick = result.benchmarks[0]?.runs[0]?.stats?.p50 ?? Number.NaN
  console.log(`session pick among 10,000: ${(pick / 1000).toFixed(2)} µs (median; target ≤ 20 µs: ${verdict(pick / 1000 <= 20)})`)
  // Interleaved like the send: paired rounds, the order rotating, the median of per-round ratios.
  const paired = await compare({
    floor: { name: 'viem signMessage', run: () => direct.signMessage({ message: { raw: hash } }) },
    subject: { name: 'keyleash personal_sign', run: () => provider.request({ method: 'personal_sign', params: [hash, key] }) },
  })
  console.log(describeComparison(paired, target))
  printLoad('signing')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run()
