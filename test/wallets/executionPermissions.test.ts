import { describe, expect, test } from 'vitest'
import { executionPermissions } from '../../src/wallets/executionPermissions.js'
import { nft, now, seedRequest, seedWireExecution as wire } from '../permissions/dialects/fixtures.js'

describe('encode, decode', () => {
  test('default: round trip through the wallet, keeping what it granted', () => {
    expect(executionPermissions.encode([seedRequest], { now })).toStrictEqual([wire])
    const [granted] = executionPermissions.decode(
      [{ ...wire, rules: [{ type: 'expiry', data: { timestamp: now + 3600 } }], context: '0xdead', dependencies: [], delegationManager: nft }],
      [seedRequest],
      { now },
    )
    expect(granted).toStrictEqual({ context: '0xdead', expiry: now + 3600, permissions: seedRequest.permissions, policies: [], walletData: { dependencies: [], delegationManager: nft } })
  })
  test('behavior: the app\'s isAdjustmentAllowed is sent on as it is', () => {
    const refuse = { ...wire, permission: { ...wire.permission, isAdjustmentAllowed: false } }
    expect(executionPermissions.encode([{ ...seedRequest, adjustmentAllowed: false }], { now })).toStrictEqual([refuse])
  })
  test('error: two permissions in one grant, a wallet signer, a call limit', () => {
    expect(() => executionPermissions.encode([{ ...seedRequest, permissions: [...seedRequest.permissions, { type: 'native-transfer', allowance: 1n }] }], { now })).toThrow(
      '[0].permission: the wallet speaks execution permissions, one permission per request; this grant has 2',
    )
    expect(() => executionPermissions.encode([{ ...seedRequest, signer: { type: 'wallet' } }], { now })).toThrow(/a wallet signer has none/)
    expect(() => executionPermissions.encode([{ ...seedRequest, policies: [{ type: 'call-limit', count: 2 }] }], { now })).toThrow(/cannot carry a call-limit policy/)
  })
})
