// The scope check runs before every session-signed call: target ≤ 2 µs per call for a session
// of 10 permissions. Run: node --import tsx bench/scope.bench.ts
import { fileURLToPath } from 'node:url'
import { bench, do_not_optimize, group, run as runBenches, summary } from 'mitata'
import { type Address, type Hex, encodeFunctionData, erc20Abi, parseAbi, toFunctionSelector } from 'viem'
import { type ScopeCall, checkScope } from '../src/permissions/scope.js'
import type { Permission } from '../src/permissions/types.js'
import type { Session } from '../src/sessions/types.js'
import { enforcedBy, enforcedRules } from '../src/permissions/enforcement.js'

const address = (digit: string): Address => `0x${digit.repeat(40)}` as Address
const [nft, token, otherToken, market, router, vault, game, stranger] = ['1', '2', '3', '4', '5', '6', '7', '8'].map(address) as [
  Address,
  Address,
  Address,
  Address,
  Address,
  Address,
  Address,
  Address,
]

const abi = parseAbi(['function mint()', 'function burn(uint256 id)', 'function list(uint256 id, uint256 price)'])
const mint = encodeFunctionData({ abi, functionName: 'mint' })
const burn = encodeFunctionData({ abi, functionName: 'burn', args: [7n] })
const list = encodeFunctionData({ abi, functionName: 'list', args: [7n, 10n ** 18n] })
const transfer = encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [stranger, 10n ** 6n] })
const approve = encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [market, 10n ** 6n] })
const selectors = (...signatures: string[]): Hex[] => signatures.map((signature) => toFunctionSelector(signature)).sort()

// Ten permissions, the shape a game or trading session asks for.
const permissions: Permission[] = [
  { type: 'contract-call', target: nft, selectors: selectors('mint()', 'burn(uint256)') },
  { type: 'contract-call', target: market, selectors: selectors('list(uint256,uint256)', 'cancel(uint256)', 'buy(uint256)') },
  { type: 'contract-call', target: router, selectors: 'any' },
  { type: 'contract-call', target: vault, selectors: selectors('deposit(uint256)', 'withdraw(uint256)') },
  { type: 'contract-call', target: game, selectors: 'any' },
  { type: 'contract-call', target: token, selectors: selectors('approve(address,uint256)') },
  { type: 'native-transfer', allowance: 10n ** 18n },
  { type: 'erc20-transfer', token, allowance: 10n ** 12n },
  { type: 'erc20-transfer', token: otherToken, allowance: 10n ** 12n },
  { type: 'custom', name: 'erc721-transfer', data: { contract: nft }, required: false },
]

const session: Session = {
  id: '0xc0ffee',
  chainId: 31337,
  account: address('a'),
  signer: { type: 'account', address: address('b') },
  keyAddress: address('b'),
  expiry: 2_000_000_000,
  permissions,
  policies: [{ type: 'call-limit', count: 1000 }],
  usage: { calls: 3, native: 10n ** 15n, spent: { [token]: 10n ** 6n } },
  status: 'active',
  wallet: 'erc7715',
  enforcedBy: enforcedBy(enforcedRules),
  createdAt: 1_700_000_000,
}
const options = { chainId: 31337, now: 1_800_000_000, canSign: true }

const batch: ScopeCall[] = [
  { to: nft, data: mint },
  { to: nft, data: burn },
  { to: market, data: list },
  { to: router, data: list, value: 1000n },
  { to: token, data: transfer },
  { to: token, data: approve },
  { to: otherToken, data: transfer },
  { to: stranger, value: 10n ** 9n },
  { to: game, data: mint },
  { to: vault, data: '0x' },
]
const refused: ScopeCall[] = [{ to: stranger, data: mint }]

export async function run(): Promise<void> {
  summary(() => {
    group('checkScope, session of 10 permissions', () => {
      bench('1 call: contract call (mint)', () => do_not_optimize(checkScope(session, [{ to: nft, data: mint }], options)))
      bench('1 call: token transfer (amount decoded)', () =>
        do_not_optimize(checkScope(session, [{ to: token, data: transfer }], options)),
      )
      bench('1 call: refused (reason and message built)', () => do_not_optimize(checkScope(session, refused, options)))
      bench('10 calls: mixed batch (divide by 10 for per call)', () => do_not_optimize(checkScope(session, batch, options)))
      // A new permissions array each time: the compile step the WeakMap cache saves.
      bench('1 call: first check of a session (uncached)', () =>
        do_not_optimize(checkScope({ ...session, permissions: [...permissions] }, [{ to: nft, data: mint }], options)),
      )
    })
  })
  await runBenches()
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run()
