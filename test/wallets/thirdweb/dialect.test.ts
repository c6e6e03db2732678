import type { Address, Hex } from 'viem'
import { describe, expect, test } from 'vitest'
import type { ResolvedGrantRequest } from '../../../src/permissions/dialects/types.js'
import { assertWalletEnforces, enforcedBy } from '../../../src/permissions/enforcement.js'
import { narrowGrant } from '../../../src/permissions/narrow.js'
import { checkScope } from '../../../src/permissions/scope.js'
import { sessionFixture } from '../../utils/sessionFixture.js'
import { thirdweb } from '../../../src/wallets/thirdweb/dialect.js'

/*
 * The dialect's pure parts: what it keeps of what the account read back, and what it says the
 * account enforces. Its I/O (the owner's signature, the transaction, the read) runs against the
 * real account in test/e2e/thirdweb.grant.e2e.test.ts.
 */

const nft: Address = '0x3333333333333333333333333333333333333333'
const request: ResolvedGrantRequest = {
  chainId: 31337,
  account: '0x1111111111111111111111111111111111111111',
  signer: { type: 'account', address: '0x2222222222222222222222222222222222222222' },
  expiry: 2_000_000_000,
  permissions: [{ type: 'contract-call', target: nft, selectors: ['0x6a627842'] }],
  policies: [{ type: 'call-limit', count: 5 }],
}
const uid: Hex = `0x${'0a'.repeat(32)}`
const held = { approvedTargets: [nft], nativeTokenLimitPerTransaction: 0n, startTimestamp: 0n, endTimestamp: 2_000_000_000n }
const codec = { now: 1_900_000_000 }

describe('thirdweb: decode', () => {
  test('default: what the account holds, read back, is exactly what was asked: the session keeps every permission and limit asked (its selectors and call limit are keyleash\'s)', () => {
    expect(thirdweb().decode({ uid, transaction: '0xbeef', held }, [request], codec)).toStrictEqual([
      { context: uid, expiry: 2_000_000_000, permissions: request.permissions, policies: request.policies, walletData: { transaction: '0xbeef' } },
    ])
  })

  test.each([
    ['another target', { ...held, approvedTargets: ['0x4444444444444444444444444444444444444444'] }, /approved targets 0x4444/],
    ['a higher native limit', { ...held, nativeTokenLimitPerTransaction: 1n }, /a native limit per call of 1 wei, asked 0/],
    ['a longer window', { ...held, endTimestamp: 2_000_000_001n }, /the window 0–2000000001, asked 0–2000000000/],
  ])('error: an account that holds %s is refused (and keyleash then revokes it)', (_, read, message) => {
    expect(() => thirdweb().decode({ uid, transaction: '0xbeef', held: read }, [request], codec)).toThrow(message)
  })
})

describe('thirdweb: kept', () => {
  test('behavior: a native allowance keeps the approved targets as its payees once narrowed: keyleash refuses a plain transfer elsewhere, as the account does', () => {
    const withValue = { ...request, permissions: [...request.permissions, { type: 'native-transfer', allowance: 5n }] } as const satisfies ResolvedGrantRequest
    const [decoded] = thirdweb().decode({ uid, transaction: '0xbeef', held: { ...held, nativeTokenLimitPerTransaction: 5n } }, [withValue], codec)
    const { permissions, policies, expiry } = narrowGrant(withValue, decoded!)
    expect(permissions).toContainEqual({ type: 'native-transfer', allowance: 5n, payees: [nft] })
    const session = sessionFixture({ chainId: 31337, account: withValue.account, expiry, permissions, policies })
    const check = (to: Address) => checkScope(session, [{ to, value: 1n }], { chainId: 31337, now: codec.now, canSign: true })
    expect(check(nft).allowed).toBe(true)
    expect(check('0x4444444444444444444444444444444444444444')).toMatchObject({ allowed: false, reasons: [{ reason: 'target-not-allowed' }] })
  })
})

describe('thirdweb: enforces', () => {
  test('default: the account holds targets, the expiry and, with no value granted, the value; selectors, call limits and spend are keyleash\'s', () => {
    const dialect = thirdweb()
    expect(enforcedBy(dialect.enforcesFor!(request))).toStrictEqual({ target: 'wallet', selector: 'keyleash', value: 'wallet', spend: 'keyleash', 'call-limit': 'keyleash', expiry: 'wallet' })
  })

  test('behavior: a native allowance is a total only keyleash holds (the account caps each call): requireWalletEnforcement refuses it', () => {
    const withValue = { ...request, permissions: [{ type: 'contract-call', target: nft, selectors: 'any' }, { type: 'native-transfer', allowance: 5n }], policies: [] } as const satisfies ResolvedGrantRequest
    expect(() => assertWalletEnforces([withValue], thirdweb())).toThrow(/does not enforce the value rule/)
    expect(() => assertWalletEnforces([{ ...withValue, permissions: [withValue.permissions[0]] }], thirdweb())).not.toThrow()
  })
})
