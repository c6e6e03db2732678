import { type Address, type Hex, encodeFunctionData, erc20Abi, parseAbi, parseEther } from 'viem'
import { describe, expect, test } from 'vitest'
import { type ScopeCall, checkScope } from '../../src/permissions/scope.js'
import type { Permission, RevocationMethods } from '../../src/permissions/types.js'
import type { SessionUsage } from '../../src/sessions/types.js'
import { advancedPermissions } from '../../src/wallets/advancedPermissions.js'
import { accounts, sessionFixture } from '../utils/sessionFixture.js'

/*
 * The scope check of MetaMask's permissions, rule by rule; the differential test
 * (test/e2e/metamask.differential.e2e.test.ts) holds it to the real enforcers.
 */

const start = 1_800_000_000
const day = 86_400
const token: Address = '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512'
const shop: Address = '0x00000000000000000000000000000000000005a0'
const key = accounts[1]
const transfer = (to: Address, amount: bigint): Hex => encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [to, amount] })
const approve = (to: Address, amount: bigint): Hex => encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [to, amount] })

function check(permission: Permission, calls: ScopeCall[], now: number, usage: Partial<SessionUsage> = {}) {
  const session = sessionFixture({ chainId: 31_337, keyAddress: key, policies: [], permissions: [permission], expiry: start + 30 * day, usage: { calls: 0, native: 0n, spent: {}, ...usage } })
  return checkScope(session, calls, { chainId: 31_337, now, canSign: true, permissionKinds: advancedPermissions })
}

const dailyEth: Permission = { type: 'spend', token: 'native', limit: { kind: 'periodic', periodAmount: parseEther('0.1'), periodDuration: day, startTime: start } }
const dailyToken: Permission = { type: 'spend', token, limit: { kind: 'periodic', periodAmount: 100n, periodDuration: day, startTime: start } }

describe('periodic', () => {
  test('default: spends add up within a period, and the usage records the period', () => {
    const result = check(dailyToken, [{ to: token, data: transfer(shop, 60n) }, { to: token, data: transfer(shop, 40n) }], start + 10)
    expect(result).toStrictEqual({ allowed: true, usage: { calls: 2, native: 0n, spent: {}, spends: { 0: { period: 0, spent: 100n } } } })
  })
  test('error: past the period\'s amount, the reason says what is left and until when', () => {
    const result = check(dailyEth, [{ to: shop, value: parseEther('0.07') }], start + day + 5, { spends: { 0: { period: 1, spent: parseEther('0.04') } } })
    expect(result.allowed).toBe(false)
    expect(!result.allowed && result.reasons[0]).toMatchInlineSnapshot(`
      {
        "amount": "70000000000000000",
        "call": 0,
        "message": "0.06 ETH left until 2027-01-17T08:00:00.000Z (0.1 ETH a period); the call moves 0.07 ETH",
        "periodAmount": "100000000000000000",
        "periodEnd": 1800172800,
        "reason": "spend-over-period-limit",
        "remaining": "60000000000000000",
        "token": "native",
      }
    `)
  })
  test('behavior: a new period starts whole, at startTime + n × periodDuration exactly', () => {
    const used = { spends: { 0: { period: 0, spent: 100n } } }
    expect(check(dailyToken, [{ to: token, data: transfer(shop, 1n) }], start + day - 1, used).allowed).toBe(false)
    expect(check(dailyToken, [{ to: token, data: transfer(shop, 100n) }], start + day, used)).toMatchObject({ allowed: true, usage: { spends: { 0: { period: 1, spent: 100n } } } })
  })
  test('error: nothing before startTime', () => {
    const result = check(dailyToken, [{ to: token, data: transfer(shop, 0n) }], start - 1)
    expect(!result.allowed && result.reasons[0]?.message).toMatchInlineSnapshot(`"the permission starts at 2027-01-15T08:00:00.000Z; nothing can be spent before"`)
  })
})

describe('stream and allowance', () => {
  const stream: Permission = { type: 'spend', token, limit: { kind: 'stream', initialAmount: 100n, maxAmount: 150n, amountPerSecond: 2n, startTime: start } }
  test('default: min(maxAmount, initialAmount + amountPerSecond × elapsed) − spent is available', () => {
    expect(check(stream, [{ to: token, data: transfer(shop, 120n) }], start + 10).allowed).toBe(true)
    expect(check(stream, [{ to: token, data: transfer(shop, 121n) }], start + 10).allowed).toBe(false)
    expect(check(stream, [{ to: token, data: transfer(shop, 150n) }], start + 1000).allowed).toBe(true)
    const result = check(stream, [{ to: token, data: transfer(shop, 31n) }], start + 1000, { spends: { 0: { period: 0, spent: 120n } } })
    expect(!result.allowed && result.reasons[0]).toMatchObject({ reason: 'spend-over-stream', available: '30' })
  })
  test('default: an allowance is a total, named as the shared reasons name it', () => {
    const allowance: Permission = { type: 'spend', token: 'native', limit: { kind: 'allowance', amount: 10n, startTime: start } }
    const result = check(allowance, [{ to: shop, value: 6n }, { to: shop, value: 5n }], start + 20 * day)
    expect(!result.allowed && result.reasons.map((r) => r?.reason ?? null)).toStrictEqual([null, 'value-over-limit'])
  })
})

describe('the shape of the call', () => {
  test('error: MetaMask\'s enforcers take plain transfers only', () => {
    const reasons = (permission: Permission, call: ScopeCall) => {
      const result = check(permission, [call], start + 1)
      return result.allowed ? null : result.reasons[0]?.message
    }
    expect(reasons(dailyEth, { to: shop, value: 1n, data: '0x12345678' })).toMatchInlineSnapshot(`"the call to 0x0000…05a0 is not one this permission allows: a native-token permission allows plain transfers only (no calldata)"`)
    expect(reasons(dailyToken, { to: token, data: approve(shop, 1n) })).toMatchInlineSnapshot(`"the call to 0xe7f1…0512 is not one this permission allows: an ERC-20 permission allows transfer(address,uint256) only, encoded in exactly 68 bytes"`)
    expect(reasons(dailyToken, { to: token, data: transfer(shop, 1n), value: 1n })).toMatchInlineSnapshot(`"the call to 0xe7f1…0512 is not one this permission allows: an ERC-20 permission sends no ETH; the call sends 1 wei"`)
    expect(reasons(dailyToken, { to: shop, data: transfer(shop, 1n) })).toMatchInlineSnapshot(`"the call to 0x0000…05a0 is not one this permission allows: the permission spends token 0xe7f1…0512 only"`)
  })
  test('error: payee and redeemer rules', () => {
    const toShop: Permission = { ...dailyToken, payees: [shop] } as Permission
    expect(check(toShop, [{ to: token, data: transfer(shop, 1n) }], start + 1).allowed).toBe(true)
    const other = check(toShop, [{ to: token, data: transfer(token, 1n) }], start + 1)
    expect(!other.allowed && other.reasons[0]?.message).toMatchInlineSnapshot(`"0xe7f1…0512 is not a payee of this grant (0x0000…05a0)"`)
    const redeemer = check({ ...dailyEth, redeemers: [shop] } as Permission, [{ to: shop, value: 1n }], start + 1)
    expect(!redeemer.allowed && redeemer.reasons[0]?.message).toMatchInlineSnapshot(`"the session key 0x7099…79C8 may not redeem this grant; its redeemer rule names 0x0000…05a0"`)
  })
})

test('behavior: a session-wide call limit still holds', () => {
  const session = sessionFixture({ chainId: 31_337, keyAddress: key, policies: [{ type: 'call-limit', count: 1 }], permissions: [dailyToken], expiry: start + day })
  const result = checkScope(session, [{ to: token, data: transfer(shop, 1n) }, { to: token, data: transfer(shop, 1n) }], { chainId: 31_337, now: start, canSign: true, permissionKinds: advancedPermissions })
  expect(!result.allowed && result.reasons.map((r) => r?.reason ?? null)).toStrictEqual([null, 'call-limit-reached'])
})

describe('revocation', () => {
  const none: RevocationMethods = { erc20Approve: false, erc721Approve: false, erc721SetApprovalForAll: false, permit2Approve: false, permit2Lockdown: false, permit2InvalidateNonces: false }
  const setApprovalForAll = (operator: Address, approved: boolean) => encodeFunctionData({ abi: parseAbi(['function setApprovalForAll(address,bool)']), functionName: 'setApprovalForAll', args: [operator, approved] })
  test('default: only the revoking calls it names', () => {
    const erc20: Permission = { type: 'revocation', kind: 'erc20', methods: { ...none, erc20Approve: true } }
    expect(check(erc20, [{ to: token, data: approve(shop, 0n) }], start).allowed).toBe(true)
    const grants = check(erc20, [{ to: token, data: approve(shop, 1n) }, { to: token, data: setApprovalForAll(shop, false) }], start)
    expect(!grants.allowed && grants.reasons.map((r) => r?.message)).toMatchInlineSnapshot(`
      [
        "the call to 0xe7f1…0512 is not a revoking call this permission allows: an approve that grants, not one that revokes (amount or spender 0)",
        "the call to 0xe7f1…0512 is not a revoking call this permission allows: setApprovalForAll is not allowed",
      ]
    `)
    const approvals: Permission = { type: 'revocation', kind: 'approvals', methods: { ...none, erc721SetApprovalForAll: true } }
    expect(check(approvals, [{ to: token, data: setApprovalForAll(shop, false) }], start).allowed).toBe(true)
    expect(check(approvals, [{ to: token, data: setApprovalForAll(shop, true) }], start).allowed).toBe(false)
  })
})
