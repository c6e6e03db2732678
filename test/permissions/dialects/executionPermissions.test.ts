import { describe, expect, test } from 'vitest'
import { executionPermissionRequests } from '../../../src/permissions/dialects/executionPermissions.js'
import { account, nft, rules, seedRequest, seedWireExecution as wire } from './fixtures.js'

describe('parse', () => {
  test('default: one permission per request, the expiry a rule', () => {
    expect(executionPermissionRequests.parse([wire], rules)).toStrictEqual([{ ...seedRequest, adjustmentAllowed: true, path: '[0].' }])
  })
  test('behavior: MetaMask\'s `address` is read for `from`; no `to` means the middleware makes the key', () => {
    const [draft] = executionPermissionRequests.parse([{ ...wire, from: undefined, address: account, to: undefined }], rules)
    expect(draft?.account).toBe(account)
    expect(draft?.signer).toBeUndefined()
  })
  test('behavior: the app\'s isAdjustmentAllowed is kept', () => {
    const [draft] = executionPermissionRequests.parse([{ ...wire, permission: { ...wire.permission, isAdjustmentAllowed: false } }], rules)
    expect(draft?.adjustmentAllowed).toBe(false)
  })
  test('behavior: the expiry is a named timestamp, never read as a duration', () => {
    expect(() => executionPermissionRequests.parse([{ ...wire, rules: [{ type: 'expiry', data: { timestamp: 86_400 } }] }], rules)).toThrow(/is in the past/)
  })
  test('behavior: with expiryMode \'duration\', the timestamp is still a timestamp', () => {
    const [draft] = executionPermissionRequests.parse([{ ...wire, rules: [{ type: 'expiry', data: { timestamp: rules.now + 3600 } }] }], { ...rules, mode: 'duration' })
    expect(draft?.expiry).toBe(rules.now + 3600)
  })
  test('error: no expiry rule, an unknown rule, no chain', () => {
    expect(() => executionPermissionRequests.parse([{ ...wire, rules: [] }], rules)).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: [0].rules: needs an expiry rule ({ type: "expiry", data: { timestamp } }); keyleash never grants a session without an end]`,
    )
    expect(() => executionPermissionRequests.parse([{ ...wire, rules: [{ type: 'gas', data: {} }] }], rules)).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: [0].rules[0].type: "gas" is not a rule keyleash can enforce here; use expiry]`,
    )
    expect(() => executionPermissionRequests.parse([{ ...wire, chainId: undefined }], rules)).toThrowErrorMatchingInlineSnapshot(`[InvalidParamsError: [0].chainId: is required]`)
  })
  test('error: field paths point into the permission and the expiry rule', () => {
    expect(() => executionPermissionRequests.parse([{ ...wire, permission: { ...wire.permission, data: { address: nft, calls: ['x('] } } }], rules)).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: [0].permission.data.calls[0]: "x(" is not a function signature or selector]`,
    )
    expect(() => executionPermissionRequests.parse([{ ...wire, rules: [{ type: 'expiry', data: { timestamp: 'soon' } }] }], rules)).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: [0].rules[0].data.timestamp: must be a positive whole number of seconds, got "soon"]`,
    )
  })
})
