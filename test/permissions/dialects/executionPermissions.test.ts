import { describe, expect, test } from 'vitest'
import { executionPermissions } from '../../../src/permissions/dialects/executionPermissions.js'
import { account, nft, now, rules, seedRequest, sessionKey } from './fixtures.js'

const wire = {
  chainId: '0x7a69',
  from: account,
  to: sessionKey,
  permission: { type: 'contract-call', isAdjustmentAllowed: true, data: { address: nft, calls: ['0x6a627842'] } },
  rules: [{ type: 'expiry', data: { timestamp: now + 86_400 } }],
}

describe('parse', () => {
  test('default: one permission per request, the expiry a rule', () => {
    expect(executionPermissions.parse([wire], rules)).toStrictEqual([{ ...seedRequest, adjustmentAllowed: true, path: '[0].' }])
  })
  test('behavior: MetaMask\'s `address` is read for `from`; no `to` means the middleware makes the key', () => {
    const [draft] = executionPermissions.parse([{ ...wire, from: undefined, address: account, to: undefined }], rules)
    expect(draft?.account).toBe(account)
    expect(draft?.signer).toBeUndefined()
  })
  test('behavior: the app\'s isAdjustmentAllowed is kept and sent on as it is', () => {
    const refuse = { ...wire, permission: { ...wire.permission, isAdjustmentAllowed: false } }
    const [draft] = executionPermissions.parse([refuse], rules)
    expect(draft?.adjustmentAllowed).toBe(false)
    expect(executionPermissions.encode([{ ...seedRequest, adjustmentAllowed: false }], { now })).toStrictEqual([refuse])
  })
  test('behavior: the expiry is a named timestamp, never read as a duration', () => {
    expect(() => executionPermissions.parse([{ ...wire, rules: [{ type: 'expiry', data: { timestamp: 86_400 } }] }], rules)).toThrow(/is in the past/)
  })
  test('error: no expiry rule, an unknown rule, no chain', () => {
    expect(() => executionPermissions.parse([{ ...wire, rules: [] }], rules)).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: [0].rules: needs an expiry rule ({ type: "expiry", data: { timestamp } }); keyleash never grants a session without an end]`,
    )
    expect(() => executionPermissions.parse([{ ...wire, rules: [{ type: 'gas', data: {} }] }], rules)).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: [0].rules[0].type: "gas" is not a rule keyleash can enforce; use expiry]`,
    )
    expect(() => executionPermissions.parse([{ ...wire, chainId: undefined }], rules)).toThrowErrorMatchingInlineSnapshot(`[InvalidParamsError: [0].chainId: is required]`)
  })
  test('error: field paths point into the permission and the expiry rule', () => {
    expect(() => executionPermissions.parse([{ ...wire, permission: { ...wire.permission, data: { address: nft, calls: ['x('] } } }], rules)).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: [0].permission.data.calls[0]: "x(" is not a function signature or selector]`,
    )
    expect(() => executionPermissions.parse([{ ...wire, rules: [{ type: 'expiry', data: { timestamp: 'soon' } }] }], rules)).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: [0].rules[0].data.timestamp: must be a positive whole number of seconds, got "soon"]`,
    )
  })
})

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
  test('error: two permissions in one grant, a wallet signer, a call limit', () => {
    expect(() => executionPermissions.encode([{ ...seedRequest, permissions: [...seedRequest.permissions, { type: 'native-transfer', allowance: 1n }] }], { now })).toThrow(
      '[0].permission: the wallet speaks execution permissions, one permission per request; this grant has 2',
    )
    expect(() => executionPermissions.encode([{ ...seedRequest, signer: { type: 'wallet' } }], { now })).toThrow(/a wallet signer has none/)
    expect(() => executionPermissions.encode([{ ...seedRequest, policies: [{ type: 'call-limit', count: 2 }] }], { now })).toThrow(/cannot carry a call-limit policy/)
  })
})
