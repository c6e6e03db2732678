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
})
