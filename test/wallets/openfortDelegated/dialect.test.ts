import { type Address, type Hex, toFunctionSelector } from 'viem'
import { describe, expect, test } from 'vitest'
import type { ResolvedGrantRequest } from '../../../src/permissions/dialects/types.js'
import { delegated } from '../../../src/wallets/openfortDelegated/abi.js'
import { delegatedKeyRegistration } from '../../../src/wallets/openfortDelegated/keyRegistration.js'
import { openfortWallet } from '../../../src/wallets/openfort.js'

const key: Address = '0x1111111111111111111111111111111111111111'
const nft: Address = '0x2222222222222222222222222222222222222222'
const now = 1_700_000_000
const transaction: Hex = `0x${'ab'.repeat(32)}`

const request: ResolvedGrantRequest = {
  chainId: 31337,
  account: '0x4444444444444444444444444444444444444444',
  signer: { type: 'account', address: key },
  expiry: now + 3600,
  permissions: [{ type: 'contract-call', target: nft, selectors: [toFunctionSelector('function mint(address)')] }],
  policies: [{ type: 'call-limit', count: 5 }],
}
const asked = delegatedKeyRegistration(request, now)
const dialect = openfortWallet({ accountType: 'Delegated Account', registerOnAccount: true })

/** What the account reads back when it holds exactly what was asked. */
const exact = {
  key: { isActive: true, masterKey: false, isDelegatedControl: false, keyType: 0, validAfter: now, validUntil: now + 3600, limits: 5, key: asked.keyData.key },
  pairs: BigInt(asked.canCall.length),
  asked: asked.canCall.map(() => true),
  tokens: asked.spends.map(({ token }) => token),
  spends: asked.spends.map(({ limit }) => [delegated.spendForever, limit, 0n, 0n] as const),
}
const decode = (held: typeof exact) => () => dialect.decode({ asked, transaction, held }, [request], { now })

describe('openfortWallet({ registerOnAccount: true }): the read-back', () => {
  test('default: an account holding exactly the registration gives the grant, named by the session key', () => {
    expect(decode(exact)()).toStrictEqual([{ context: key, expiry: now + 3600, permissions: request.permissions, policies: request.policies, walletData: { transaction } }])
  })

  test.each([
    ['no active key', { ...exact, key: { ...exact.key, isActive: false } }],
    ['a master or custodial key', { ...exact, key: { ...exact.key, masterKey: true } }],
    ['another key (type 1', { ...exact, key: { ...exact.key, keyType: 1 } }],
    ['a limit of 6 calls, asked 5', { ...exact, key: { ...exact.key, limits: 6 } }],
    [`the window ${now - 1}–${now + 3600}, asked ${now}–${now + 3600}`, { ...exact, key: { ...exact.key, validAfter: now - 1 } }],
    ['2 (target, function) pairs', { ...exact, pairs: 2n }],
    ['spend rules on', { ...exact, spends: exact.spends.map(([period, limit]) => [period, limit + 1n, 0n, 0n] as const) }],
  ])('error: an account holding something else is refused, naming it: %s', (what, held) => {
    expect(decode(held)).toThrow(`the account holds ${what}`)
  })

  test('error: what differs is named in the account\'s order: an inactive key before its limit and window', () => {
    expect(decode({ ...exact, key: { ...exact.key, isActive: false, limits: 0, validUntil: 0 } })).toThrow('the account holds no active key for the session key')
  })
})
