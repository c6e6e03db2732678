import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { erc7715 } from '../../src/permissions/dialects/erc7715.js'
import { withSessionKeys } from '../../src/provider.js'
import { account, nft, now, scriptedWallet, token } from '../utils/scriptedWallet.js'

const maxExpiry = 30 * 86_400

// Mostly well-formed values, with a tenth of the time something sloppy or hostile, so that
// both sides (forwarded and refused) are exercised in every run.
function mostly<T>(good: fc.Arbitrary<T>, ...bad: fc.Arbitrary<unknown>[]): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 12, arbitrary: good }, ...bad.map((arbitrary) => ({ weight: 1, arbitrary })))
}
const junk = fc.anything()
const address = mostly(fc.constantFrom(nft, token, nft.toLowerCase()), fc.constantFrom(account, '0x1234', 'nft', '', nft.toUpperCase().replace('0X', '0x')), junk)
const call = mostly(fc.constantFrom('mint(address)', 'function burn(uint256 id)', '0x6a627842', '0x6A627842', 'transfer(address,uint256)'), fc.constantFrom('mint(address', 'mint(adress)', '0x6a62', ''), junk)
const quantity = mostly(fc.constantFrom('0x10', '100', 1, 2 ** 40), fc.constantFrom(0, -1, 1.5, '1e18', '0x', 'ten'), fc.bigInt({ min: -1n, max: 2n ** 70n }).map(String), junk)
const policy = fc.record({
  type: mostly(fc.constantFrom('call-limit', 'rate-limit', 'gas-limit'), fc.constantFrom('token-allowance', 'spent-limit', 'nope'), fc.constant({ custom: 'call-limit' }), junk),
  data: mostly(fc.record({ count: quantity, limit: quantity, interval: quantity, allowance: quantity }), fc.record({ count: quantity }, { requiredKeys: [] }), junk),
})
const permission = fc.record(
  {
    type: mostly(fc.constantFrom('contract-call', 'native-token-transfer', 'erc20-token-transfer'), fc.constantFrom('erc721-token-transfer'), fc.constant({ custom: 'contract-call' }), junk),
    data: mostly(fc.record({ address, calls: mostly(fc.array(call, { maxLength: 3 }), junk), allowance: quantity }, { requiredKeys: ['address'] }), junk),
    policies: mostly(fc.array(policy, { maxLength: 2 }), junk),
    required: mostly(fc.boolean(), junk),
  },
  { requiredKeys: ['type', 'data'] },
)
const expiry = mostly(
  fc.oneof(fc.integer({ min: 1, max: maxExpiry }), fc.integer({ min: now + 1, max: now + maxExpiry })),
  fc.integer({ min: now - 100, max: now + maxExpiry + 100 }),
  fc.constantFrom(0, -1, 1.5, Number.NaN, (now + 60) * 1000, '3600', maxExpiry + 1),
  junk,
)
const signer = mostly(
  fc.oneof(fc.constant(undefined), fc.record({ type: fc.constant('account'), data: fc.record({ id: address }) }), fc.constant({ type: 'wallet' })),
  fc.record({ type: fc.constantFrom('key', 'keys', 'passkey'), data: junk }),
  junk,
)
const grant = fc.record({ expiry, signer, permissions: mostly(fc.array(permission, { minLength: 1, maxLength: 3 }), fc.constant([]), junk) }, { requiredKeys: ['expiry', 'permissions'] })
const params = mostly(grant.map((g) => [g]), fc.record({ expiry }), junk)

describe('property: every grant is forwarded valid or refused with -32602', () => {
  test('10,000 random and malformed grants: no uncaught error, no other code, nothing invalid reaches the wallet', async () => {
    const inner = scriptedWallet('erc7715')
    const provider = withSessionKeys(inner, { now: () => now, maxExpiry })
    let forwarded = 0
    let refused = 0
    await fc.assert(
      fc.asyncProperty(params, async (p) => {
        const before = inner.paramsOf('wallet_grantPermissions').length
        try {
          await provider.request({ method: 'wallet_grantPermissions', params: p })
          forwarded++
        } catch (error) {
          refused++
          expect((error as { code: unknown }).code).toBe(-32602)
          expect(inner.paramsOf('wallet_grantPermissions').length).toBe(before)
          return
        }
        // What the wallet got must read back cleanly as a strict June 2024 grant.
        const sent = inner.paramsOf('wallet_grantPermissions').at(-1)
        const [draft] = erc7715.parse(sent, { now, mode: 'timestamp', maxExpiry })
        expect(draft?.expiry).toBeGreaterThan(now)
        expect(draft?.signer?.type).toBeDefined()
        for (const permission of draft?.permissions ?? []) {
          if (permission.type === 'contract-call') expect(permission.target.toLowerCase()).not.toBe(account.toLowerCase())
          if (permission.type === 'custom') expect(permission.required).toBe(false)
        }
      }),
      { numRuns: 10_000, seed: Number(process.env.FC_SEED ?? Date.now() % 2 ** 31), verbose: 1 },
    )
    // The generator must exercise both sides, or the property proves little.
    expect(forwarded).toBeGreaterThan(500)
    expect(refused).toBeGreaterThan(500)
  }, 120_000)
})
