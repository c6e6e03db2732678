/**
 * Records what Openfort's own SDK (`@openfort/openfort-js` 1.6.0, its real `EvmProvider`) answers
 * to the grants and revocations keyleash sends it, over the development backend on a fresh dev
 * chain, and writes them to `test/wallets/fixtures/openfort.recorded.ts`: the dialect's tests
 * read the SDK's answers from there, never from a hand-written copy.
 *
 * Addresses, ids and times change with each run; the tests read them from the file.
 *
 * @example
 * node --import tsx scripts/record-openfort.ts
 */
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Address } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { startDevChain } from '../src/devwallet/chain.js'
import { createDevOpenfort } from '../src/devwallet/openfort/sdk.js'

type Recorded = { name: string; params: unknown; answer?: unknown; error?: { code: unknown; message: unknown }; backend?: unknown }

const out = join(dirname(fileURLToPath(import.meta.url)), '../test/wallets/fixtures/openfort.recorded.ts')
const chain = await startDevChain()
try {
  const openfort = await createDevOpenfort({ rpcUrl: chain.rpcUrl })
  const delegated = await createDevOpenfort({ rpcUrl: chain.rpcUrl, backend: openfort.backend, accountType: 'Delegated Account' })
  const { nft, token } = openfort.contracts
  const key = () => privateKeyToAccount(generatePrivateKey()).address
  const call = (address: Address, calls: string[], policies: unknown[] = []) => ({ type: 'contract-call', data: { address, calls }, policies, required: true })
  const records: Recorded[] = []

  const record = async (name: string, method: string, params: unknown, user = openfort) => {
    const before = user.backend.requests.length
    const entry: Recorded = { name, params }
    try {
      entry.answer = await user.provider.request({ method, params })
    } catch (error) {
      const { code, message } = error as { code?: unknown; message?: unknown }
      entry.error = { code, message }
    }
    // What reached the backend first: the session (or revocation) the SDK asked for.
    entry.backend = user.backend.requests[before]?.body
    records.push(entry)
    return entry
  }
  const grant = (name: string, signer: unknown, permissions: unknown[], user = openfort) =>
    record(name, 'wallet_grantPermissions', [{ expiry: 86_400, signer, permissions }], user)

  const seedKey = key()
  // What keyleash's `openfort` dialect sends for the seed's request, and for the others below
  // (what the SDK makes of a request is tested against its own code, not recorded here).
  await grant('seed', { type: 'account', data: { id: seedKey } }, [call(nft, ['0x6a627842'])])
  await grant('call-limit', { type: 'account', data: { id: key() } }, [call(nft, ['0x6a627842'], [{ type: { custom: 'call-limit' }, data: { limit: 3 } }])])
  await grant('two-targets', { type: 'account', data: { id: key() } }, [call(nft, []), call(token, ['0xa9059cbb'])])
  // A Delegated Account's session asked without a limit is asked with limit 0, which the account
  // refuses since the model takes keys as Openfort's published account does (recorded as an error);
  // the answer in the committed fixture is from the model's earlier reading, 0 as a master key.
  await grant('delegated-no-limit', { type: 'account', data: { id: key() } }, [call(nft, ['0x6a627842'])], delegated)
  await record('revoke', 'wallet_revokePermissions', [{ permissionContext: seedKey }])
  await record('revoke-by-context', 'wallet_revokePermissions', [{ permissionContext: (records[0]?.answer as { permissionsContext: string }).permissionsContext }])
  await openfort.close()

  // JSON, except that `undefined` (the SDK answers `limit: undefined`) is kept as such.
  const text = JSON.stringify(records, (_, value: unknown) => (value === undefined ? '__undefined__' : value), 2).replaceAll('"__undefined__"', 'undefined')
  writeFileSync(
    out,
    `// Recorded by scripts/record-openfort.ts from @openfort/openfort-js 1.6.0's EvmProvider over the\n// development backend. Do not edit: run the script again.\nexport const recorded = ${text} as const\n`,
  )
  console.log(`recorded ${records.length} answers of Openfort's SDK → ${out}`)
} finally {
  await chain.stop()
}
