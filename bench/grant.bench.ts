// A grant is parsed, checked and encoded before the wallet sees it: target ≥ 200,000 a second
// for the seed's request. Run alone: node --import tsx bench/grant.bench.ts
import { fileURLToPath } from 'node:url'
import { bench, do_not_optimize, run as runBenches, summary } from 'mitata'
import type { Address } from 'viem'
import { erc7715 } from '../src/permissions/dialects/erc7715.js'
import type { ResolvedGrantRequest } from '../src/permissions/dialects/types.js'
import { resolveGrant } from '../src/permissions/grantRequest.js'
import { openfort } from '../src/wallets/openfort.js'

const now = 1_800_000_000
const account: Address = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
const sessionKey: Address = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const wallet = { chainId: 31337, accounts: [account] }
const rules = { now, mode: 'auto', maxExpiry: 30 * 86_400 } as const

/** The seed's request as viem sends it. */
const seed = [
  {
    expiry: 60 * 60 * 24,
    signer: { type: 'account', data: { id: sessionKey } },
    permissions: [{ type: 'contract-call', data: { address: '0x5FbDB2315678afecb367f032d93F642f64180aa3', calls: ['mint(address)'] }, policies: [], required: true }],
  },
]

function grant(encode: typeof erc7715.encode) {
  const requests = erc7715.parse(seed, rules).map((draft) => resolveGrant(draft, wallet, undefined) as ResolvedGrantRequest)
  return encode(requests, { now })
}

export async function run(): Promise<void> {
  summary(() => {
    bench('grant parse + validate + encode (seed, to a June 2024 wallet)', () => do_not_optimize(grant(erc7715.encode)))
    bench('grant parse + validate + encode (seed, to Openfort)', () => do_not_optimize(grant(openfort.encode)))
  })
  const result = await runBenches()
  for (const trial of result.benchmarks) {
    const avg = trial.runs[0]?.stats?.avg
    if (avg) console.log(`${trial.alias}: ${Math.round(1e9 / avg).toLocaleString('en')} grants/s (target ≥ 200,000)`)
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run()
