import { type Address, type Hex, maxUint48, toFunctionSelector, zeroAddress } from 'viem'
import { describe, expect, test } from 'vitest'
import type { ResolvedGrantRequest } from '../../../src/permissions/dialects/types.js'
import type { Permission } from '../../../src/permissions/types.js'
import { delegatedEnforces, delegatedKeyRegistration } from '../../../src/wallets/openfortDelegated/keyRegistration.js'
import { rejection } from '../../utils/rejection.js'

const key: Address = '0x1111111111111111111111111111111111111111'
const nft: Address = '0x2222222222222222222222222222222222222222'
const token: Address = '0x3333333333333333333333333333333333333333'
const mint = toFunctionSelector('function mint(address)')
const now = 1_700_000_000

const request = (permissions: Permission[], policies: ResolvedGrantRequest['policies'] = []): ResolvedGrantRequest => ({
  chainId: 31337,
  account: '0x4444444444444444444444444444444444444444',
  signer: { type: 'account', address: key },
  expiry: now + 3600,
  permissions,
  policies,
})
const call = (target: Address, selectors: Hex[] | 'any'): Permission => ({ type: 'contract-call', target, selectors })

describe('delegatedKeyRegistration', () => {
  test('behavior: targets, functions, ETH in total, the token limit and the window; no call limit is the uint48 maximum, never 0 (a master key)', () => {
    const registration = delegatedKeyRegistration(
      request([call(nft, [mint]), { type: 'native-transfer', allowance: 7n }, { type: 'native-transfer', allowance: 3n }, { type: 'erc20-transfer', token, allowance: 5n }]),
      now,
    )
    expect(registration).toStrictEqual({
      keyType: 0,
      eoa: key,
      x: `0x${'0'.repeat(64)}`,
      y: `0x${'0'.repeat(64)}`,
      validAfter: now,
      validUntil: now + 3600,
      limit: Number(maxUint48),
      whitelist: [nft],
      allowedSelectors: [mint, '0xa9059cbb'],
      ethLimit: 10n,
      spendToken: token,
      spendLimit: 5n,
    })
    expect(delegatedKeyRegistration(request([call(nft, [mint])], [{ type: 'call-limit', count: 4 }]), now)).toMatchObject({ limit: 4, spendToken: zeroAddress, ethLimit: 0n })
  })

  test.each([
    ['any function', [call(nft, 'any')], 'cannot register one for any function'],
    ['payees', [call(nft, [mint]), { type: 'native-transfer', allowance: 1n, payees: [key] }], 'cannot name who is paid'],
    ['two tokens', [{ type: 'erc20-transfer', token, allowance: 1n }, { type: 'erc20-transfer', token: nft, allowance: 1n }], 'names two tokens'],
    ['11 targets', Array.from({ length: 11 }, (_, i) => call(`0x${(i + 16).toString(16).padStart(40, '0')}` as Address, [mint])), 'at most 10 targets; this grant names 11'],
    ['11 functions', [call(nft, Array.from({ length: 11 }, (_, i) => `0x${i.toString(16).padStart(8, '0')}` as Hex))], 'at most 10 functions; this grant names 11'],
    ['no target', [{ type: 'native-transfer', allowance: 1n }], 'needs at least one target'],
  ] as [string, Permission[], string][])('error: %s is refused (-32602) before the owner is asked', (_, permissions, message) => {
    const error = rejection(() => delegatedKeyRegistration(request(permissions), now))
    expect(error.code).toBe(-32602)
    expect(error.message).toContain(message)
  })

  test('error: a P-256 key signer is refused: the registration files a key by its address', () => {
    const error = rejection(() => delegatedKeyRegistration({ ...request([call(nft, [mint])]), signer: { type: 'key', key: { keyType: 'secp256r1', publicKey: `0x04${'11'.repeat(64)}` } } }, now))
    expect(error.message).toContain('grant to an account signer')
  })
})

describe('delegatedEnforces', () => {
  test('behavior: selectors are the account\'s only when every target takes the same functions (it keeps one list per key)', () => {
    expect(delegatedEnforces(request([call(nft, [mint]), call(token, [mint])]))).toContain('selector')
    expect(delegatedEnforces(request([call(nft, [mint]), { type: 'erc20-transfer', token, allowance: 1n }]))).toStrictEqual(['target', 'value', 'spend', 'call-limit', 'expiry'])
  })
})
