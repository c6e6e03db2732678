import { describe, expect, test } from 'vitest'
import { narrowGrant } from '../../src/permissions/narrow.js'
import { nft, now, seedRequest, token } from './dialects/fixtures.js'

const request = {
  ...seedRequest,
  permissions: [
    { type: 'contract-call', target: nft, selectors: ['0x42966c68', '0x6a627842'] },
    { type: 'erc20-transfer', token, allowance: 100n },
  ],
  policies: [{ type: 'call-limit', count: 5 }],
} as const

describe('narrowGrant', () => {
  test('default: what the wallet granted, when it granted what was asked', () => {
    const granted = narrowGrant(request, { context: 'c', expiry: request.expiry, permissions: request.permissions, policies: request.policies })
    expect(granted).toStrictEqual({ context: 'c', expiry: request.expiry, permissions: request.permissions, policies: request.policies })
  })
  test('behavior: a wallet may grant less: fewer selectors, a smaller allowance, an earlier end, a dropped permission', () => {
    const granted = narrowGrant(request, {
      context: 'c',
      expiry: now + 10,
      permissions: [{ type: 'contract-call', target: nft, selectors: ['0x6a627842'] }],
      policies: [{ type: 'call-limit', count: 2 }],
    })
    expect(granted).toStrictEqual({
      context: 'c',
      expiry: now + 10,
      permissions: [{ type: 'contract-call', target: nft, selectors: ['0x6a627842'] }],
      policies: [{ type: 'call-limit', count: 2 }],
    })
  })
  test('behavior: a wallet that answers more, or drops a limit, never widens the session', () => {
    const granted = narrowGrant(request, {
      context: 'c',
      expiry: now + 999_999,
      permissions: [
        { type: 'contract-call', target: nft, selectors: 'any' },
        { type: 'erc20-transfer', token, allowance: 10_000n },
        { type: 'native-transfer', allowance: 1n },
      ],
      policies: [],
    })
    expect(granted).toStrictEqual({ context: 'c', expiry: request.expiry, permissions: request.permissions, policies: request.policies })
  })
  test('behavior: the payees a wallet granted a native transfer with are kept, and only those the app asked too when it named some', () => {
    const shop = '0x1111111111111111111111111111111111111111'
    const other = '0x2222222222222222222222222222222222222222'
    const grant = (payees: readonly `0x${string}`[]) => ({ context: 'c', expiry: request.expiry, policies: [], permissions: [{ type: 'native-transfer', allowance: 10n, payees }] as const })
    const asked = (payees?: readonly `0x${string}`[]) => ({ ...request, policies: [], permissions: [{ type: 'native-transfer', allowance: 5n, ...(payees ? { payees } : {}) }] as const })
    // Asked for anyone: the wallet's payees, not anyone.
    expect(narrowGrant(asked(), grant([nft, shop])).permissions).toStrictEqual([{ type: 'native-transfer', allowance: 5n, payees: [nft, shop] }])
    // Asked for some: only those the wallet granted too, whatever their case.
    expect(narrowGrant(asked([nft.toLowerCase() as `0x${string}`, other]), grant([nft, shop])).permissions).toStrictEqual([
      { type: 'native-transfer', allowance: 5n, payees: [nft.toLowerCase()] },
    ])
    // A wallet that names no payees leaves the asked ones as they were.
    expect(narrowGrant(asked([other]), { ...grant([]), permissions: [{ type: 'native-transfer', allowance: 10n }] }).permissions).toStrictEqual([
      { type: 'native-transfer', allowance: 5n, payees: [other] },
    ])
  })
  test('error: a wallet that granted only other targets and tokens than asked grants nothing keyleash keeps', () => {
    const other = { context: 'c', expiry: request.expiry, policies: [] }
    const refusal = {
      code: -32603,
      message: 'the wallet granted none of what was asked: of the 2 permission(s) asked, none is among the 2 it granted',
      data: expect.objectContaining({ context: 'c' }),
    }
    expect(() =>
      narrowGrant(request, { ...other, permissions: [{ type: 'contract-call', target: token, selectors: 'any' }, { type: 'erc20-transfer', token: nft, allowance: 100n }] }),
    ).toThrow(expect.objectContaining(refusal))
    // The asked target with none of the asked functions is nothing either.
    expect(() => narrowGrant({ ...request, permissions: [request.permissions[0]] }, { ...other, permissions: [{ type: 'contract-call', target: nft, selectors: ['0xa9059cbb'] }] })).toThrow(
      'the wallet granted none of what was asked: of the 1 permission(s) asked, none is among the 1 it granted',
    )
  })
  test('behavior: a wallet that answers 16,000 permissions for 256 asked is narrowed in linear time', () => {
    const address = (i: number) => `0x${(i + 1).toString(16).padStart(40, '0')}` as const
    const asked = Array.from({ length: 256 }, (_, i) => ({ type: 'contract-call' as const, target: address(i * 61), selectors: 'any' as const }))
    const granted = Array.from({ length: 16_000 }, (_, i) => ({ type: 'contract-call' as const, target: address(i), selectors: 'any' as const }))
    const started = performance.now()
    const narrowed = narrowGrant({ ...request, permissions: asked }, { context: 'c', expiry: request.expiry, permissions: granted, policies: [] })
    expect(performance.now() - started).toBeLessThan(200)
    expect(narrowed.permissions).toStrictEqual(asked)
  })
})
