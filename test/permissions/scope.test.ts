import fc from 'fast-check'
import {
  type Address,
  type Hex,
  encodeFunctionData,
  erc20Abi,
  concat,
  getAddress,
  numberToHex,
  parseAbi,
  size,
  slice,
  toFunctionSelector,
} from 'viem'
import { describe, expect, test } from 'vitest'
import { readWord, tokenAmountArgument } from '../../src/permissions/calldata.js'
import { type CheckScopeOptions, type ScopeCall, type ScopeReason, checkScope } from '../../src/permissions/scope.js'
import type { Permission, Policy } from '../../src/permissions/types.js'
import type { Session, SessionUsage } from '../../src/sessions/types.js'
import { enforcedBy, enforcedRules } from '../../src/permissions/enforcement.js'

const account: Address = '0xacc0acc0acc0acc0acc0acc0acc0acc0acc0acc0'
const nft: Address = '0x1111111111111111111111111111111111111111'
const token: Address = '0x2222222222222222222222222222222222222222'
const otherToken: Address = '0x3333333333333333333333333333333333333333'
const stranger: Address = '0x4444444444444444444444444444444444444444'
// A mixed-case address, to check that letter case never changes a decision.
const mixedCase: Address = '0xaBcDeF0123456789aBcDeF0123456789aBcDeF01'

const abi = parseAbi([
  'function mint()',
  'function burn(uint256 id)',
  'function increaseAllowance(address spender, uint256 addedValue)',
  'function permit(address owner, address spender, uint256 value, uint256 deadline, uint8 v, bytes32 r, bytes32 s)',
])
const uncounted = parseAbi([
  'function transferAndCall(address to, uint256 amount, bytes data)',
  'function send(address to, uint256 amount, bytes data)',
  'function approveAndCall(address spender, uint256 amount, bytes data)',
])
const mint = encodeFunctionData({ abi, functionName: 'mint' })
const burn = encodeFunctionData({ abi, functionName: 'burn', args: [1n] })
const mintSelector = toFunctionSelector('mint()')
const transfer = (amount: bigint): Hex =>
  encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [stranger, amount] })
const transferFrom = (amount: bigint): Hex =>
  encodeFunctionData({ abi: erc20Abi, functionName: 'transferFrom', args: [account, stranger, amount] })
const approve = (amount: bigint): Hex =>
  encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [stranger, amount] })
const increaseAllowance = (amount: bigint): Hex =>
  encodeFunctionData({ abi, functionName: 'increaseAllowance', args: [stranger, amount] })
const permit = (amount: bigint): Hex =>
  encodeFunctionData({
    abi,
    functionName: 'permit',
    args: [account, stranger, amount, 2n ** 40n, 27, `0x${'11'.repeat(32)}`, `0x${'22'.repeat(32)}`],
  })

const now = 1_800_000_000
const options: CheckScopeOptions = { chainId: 31337, now, canSign: true }
const noUsage: SessionUsage = { calls: 0, native: 0n, spent: {} }

function session(
  permissions: readonly Permission[],
  policies: readonly Policy[] = [],
  overrides: Partial<Session> = {},
): Session {
  return {
    id: '0xc0ffee',
    chainId: 31337,
    account,
    signer: { type: 'account', address: '0x5555555555555555555555555555555555555555' },
    keyAddress: '0x5555555555555555555555555555555555555555',
    expiry: now + 3600,
    permissions,
    policies,
    usage: noUsage,
    status: 'active',
    wallet: 'erc7715',
    enforcedBy: enforcedBy(enforcedRules),
    createdAt: now - 60,
    ...overrides,
  }
}

const mintNft: Permission = { type: 'contract-call', target: nft, selectors: [mintSelector] }
const native = (allowance: bigint): Permission => ({ type: 'native-transfer', allowance })
const tokenAllowance = (allowance: bigint, address: Address = token): Permission => ({
  type: 'erc20-transfer',
  token: address,
  allowance,
})
const anyOf = (target: Address): Permission => ({ type: 'contract-call', target, selectors: 'any' })

/** The reasons of a refused batch (fails the test when it was allowed). */
function reasonsOf(result: ReturnType<typeof checkScope>): (ScopeReason | null)[] {
  if (result.allowed) throw new Error(`expected a refusal, got usage ${String(result.usage.calls)} calls`)
  return result.reasons
}
/** The reason codes of a refused batch, one per call. */
const codes = (result: ReturnType<typeof checkScope>) => reasonsOf(result).map((reason) => reason?.reason ?? null)

describe('checkScope', () => {
  test('default: a call within a contract-call permission is allowed and counted', () => {
    expect(checkScope(session([mintNft]), [{ to: nft, data: mint }], options)).toEqual({
      allowed: true,
      usage: { calls: 1, native: 0n, spent: {} },
    })
  })

  describe('rule 0: the session', () => {
    test('error: a session for another chain refuses every call as wrong-chain', () => {
      const reasons = reasonsOf(
        checkScope(session([mintNft]), [{ to: nft, data: mint }, { to: account }], { ...options, chainId: 1 }),
      )
      expect(reasons.map((reason) => [reason?.call, reason?.reason])).toEqual([
        [0, 'wrong-chain'],
        [1, 'wrong-chain'],
      ])
      expect(reasons[0]).toMatchInlineSnapshot(`
        {
          "call": 0,
          "chainId": 1,
          "message": "session 0xc0ffee is for chain 31337, not 1; switch chains or grant a session on 1",
          "reason": "wrong-chain",
          "sessionChainId": 31337,
        }
      `)
    })

    test('error: a revoked session refuses every call as revoked', () => {
      const result = checkScope(session([mintNft], [], { status: 'revoked' }), [{ to: nft, data: mint }], options)
      expect(reasonsOf(result)[0]).toMatchObject({ reason: 'revoked', session: '0xc0ffee' })
    })

    test('behavior: a session is live until the second before its expiry', () => {
      const live = session([mintNft], [], { expiry: now + 1 })
      expect(checkScope(live, [{ to: nft, data: mint }], options).allowed).toBe(true)
    })

    test('error: a session at or past its expiry refuses every call as expired', () => {
      for (const expiry of [now, now - 1]) {
        const result = checkScope(session([mintNft], [], { expiry }), [{ to: nft, data: mint }], options)
        expect(reasonsOf(result)[0]).toMatchObject({ reason: 'expired', expiry, now })
      }
      const result = checkScope(session([mintNft], [], { expiry: now }), [{ to: nft, data: mint }], options)
      expect(reasonsOf(result)[0]?.message).toMatchInlineSnapshot(
        `"session 0xc0ffee expired at 2027-01-15T08:00:00.000Z; grant a new session"`,
      )
    })

    test('error: a session whose key the wallet keeps refuses every call as not-a-signing-session', () => {
      const walletSigned = session([mintNft], [], { signer: { type: 'wallet' }, keyAddress: undefined })
      // Even with `canSign`: the wallet signer means there is no key to sign with here.
      expect(codes(checkScope(walletSigned, [{ to: nft, data: mint }], options))).toEqual(['not-a-signing-session'])
    })

    test('error: a session whose key the store does not hold refuses every call as not-a-signing-session', () => {
      const result = checkScope(session([mintNft]), [{ to: nft, data: mint }], { ...options, canSign: false })
      expect(reasonsOf(result)[0]).toMatchInlineSnapshot(`
        {
          "call": 0,
          "keyAddress": "0x5555555555555555555555555555555555555555",
          "message": "the store has no key for session 0xc0ffee (0x5555…5555); import it (sessions.importKey) or grant a new session",
          "reason": "not-a-signing-session",
          "signer": "account",
        }
      `)
    })

    test('behavior: the session rules apply in order: chain, revoked, expired, signing', () => {
      const dead = session([mintNft], [], { status: 'revoked', expiry: now - 1, signer: { type: 'wallet' } })
      const call = [{ to: nft, data: mint }]
      expect(codes(checkScope(dead, call, { ...options, chainId: 1, canSign: false }))).toEqual(['wrong-chain'])
      expect(codes(checkScope(dead, call, { ...options, canSign: false }))).toEqual(['revoked'])
      expect(codes(checkScope({ ...dead, status: 'active' }, call, options))).toEqual(['expired'])
    })

    test('behavior: a session rule outranks every call rule', () => {
      const result = checkScope(session([]), [{ to: account }, { to: stranger, value: 1n }], { ...options, now: now + 7200 })
      expect(codes(result)).toEqual(['expired', 'expired'])
    })

    test('behavior: an empty batch fits a live session and is refused, with no reasons, by a dead one', () => {
      expect(checkScope(session([]), [], options)).toEqual({ allowed: true, usage: noUsage })
      expect(checkScope(session([], [], { status: 'revoked' }), [], options)).toEqual({ allowed: false, reasons: [] })
    })
  })

  describe('rule 1: self-call', () => {
    test('error: a call to the account itself is refused as self-call', () => {
      const result = checkScope(session([native(10n)]), [{ to: account, value: 1n }], options)
      expect(reasonsOf(result)[0]).toMatchInlineSnapshot(`
        {
          "call": 0,
          "message": "a session key may never call its own account 0xacc0…acc0; have the owner sign it",
          "reason": "self-call",
          "target": "0xacc0acc0acc0acc0acc0acc0acc0acc0acc0acc0",
        }
      `)
    })

    test('error: a call to the account is a self-call in any letter case, even when a permission names it', () => {
      const upper = `0x${account.slice(2).toUpperCase()}` as Address
      const named = session([anyOf(account)], [], { account: getAddress(account) })
      expect(codes(checkScope(named, [{ to: upper, data: mint }, { to: account }], options))).toEqual([
        'self-call',
        'self-call',
      ])
    })

    test('behavior: a call to any other address is not a self-call', () => {
      expect(checkScope(session([anyOf(stranger)]), [{ to: stranger, data: mint }], options).allowed).toBe(true)
    })
  })

  describe('rule 2: target and selector', () => {
    test('behavior: a call without calldata goes to any address when the session may send native value', () => {
      const result = checkScope(session([native(10n)]), [{ to: stranger, value: 3n }, { to: mixedCase, data: '0x' }], options)
      expect(result).toEqual({ allowed: true, usage: { calls: 2, native: 3n, spent: {} } })
    })

    test('error: a call without calldata to an unnamed target is refused as target-not-allowed without a native allowance', () => {
      for (const data of [undefined, '0x'] as const) {
        const result = checkScope(session([mintNft, native(0n)]), [{ to: stranger, data }], options)
        expect(reasonsOf(result)[0]).toMatchInlineSnapshot(`
          {
            "call": 0,
            "message": "target 0x4444…4444 is not granted; grant a native-transfer or contract-call permission for it",
            "reason": "target-not-allowed",
            "target": "0x4444444444444444444444444444444444444444",
          }
        `)
      }
    })

    test('behavior: a call without calldata to a named target needs the selector 0x00000000 without a native allowance', () => {
      const zero: Permission = { type: 'contract-call', target: stranger, selectors: ['0x00000000'] }
      expect(checkScope(session([zero]), [{ to: stranger }], options).allowed).toBe(true)
      expect(reasonsOf(checkScope(session([mintNft]), [{ to: nft }], options))[0]).toMatchObject({
        reason: 'selector-not-allowed',
        selector: '0x00000000',
      })
    })

    test('behavior: a granted target and selector are allowed in any letter case', () => {
      const upperData = `0x${mint.slice(2).toUpperCase()}` as Hex
      const granted = session([{ type: 'contract-call', target: getAddress(mixedCase), selectors: [mintSelector] }])
      const calls: ScopeCall[] = [
        { to: mixedCase.toLowerCase() as Address, data: mint },
        { to: `0x${mixedCase.slice(2).toUpperCase()}` as Address, data: upperData },
      ]
      expect(checkScope(granted, calls, options).allowed).toBe(true)
    })

    test('error: a target no permission names is refused as target-not-allowed', () => {
      const result = checkScope(session([mintNft]), [{ to: stranger, data: mint }], options)
      expect(reasonsOf(result)[0]).toMatchInlineSnapshot(`
        {
          "call": 0,
          "message": "target 0x4444…4444 is not granted; grant a contract-call permission for it",
          "reason": "target-not-allowed",
          "target": "0x4444444444444444444444444444444444444444",
        }
      `)
    })

    test('error: a function a named target was not granted is refused as selector-not-allowed', () => {
      const result = checkScope(session([mintNft]), [{ to: nft, data: burn }], options)
      expect(reasonsOf(result)[0]).toMatchInlineSnapshot(`
        {
          "call": 0,
          "message": "function 0x42966c68 of 0x1111…1111 is not granted; grant a contract-call permission naming it",
          "reason": "selector-not-allowed",
          "selector": "0x42966c68",
          "target": "0x1111111111111111111111111111111111111111",
        }
      `)
    })

    test('error: calldata shorter than 4 bytes has the selector 0x00000000', () => {
      const result = checkScope(session([mintNft]), [{ to: nft, data: slice(mint, 0, 3) }], options)
      expect(reasonsOf(result)[0]).toMatchObject({ reason: 'selector-not-allowed', selector: '0x00000000' })
    })

    test("behavior: 'any' allows every function of its target, and calldata shorter than 4 bytes", () => {
      const calls: ScopeCall[] = [{ to: nft, data: mint }, { to: nft, data: burn }, { to: nft, data: '0x12' }, { to: nft }]
      expect(checkScope(session([anyOf(nft)]), calls, options).allowed).toBe(true)
    })

    test("behavior: permissions for one target add up, and 'any' absorbs the rest", () => {
      const burnNft: Permission = { type: 'contract-call', target: nft, selectors: ['0x42966c68'] }
      expect(checkScope(session([mintNft, burnNft]), [{ to: nft, data: mint }, { to: nft, data: burn }], options).allowed).toBe(
        true,
      )
      expect(checkScope(session([mintNft, anyOf(nft)]), [{ to: nft, data: burn }], options).allowed).toBe(true)
    })

    test('behavior: an erc20-transfer permission allows transfer on its token, and no other function', () => {
      const granted = session([tokenAllowance(100n)])
      expect(checkScope(granted, [{ to: token, data: transfer(1n) }], options).allowed).toBe(true)
      expect(codes(checkScope(granted, [{ to: token, data: approve(1n) }], options))).toEqual(['selector-not-allowed'])
      expect(codes(checkScope(granted, [{ to: otherToken, data: transfer(1n) }], options))).toEqual(['target-not-allowed'])
    })

    test('error: a target only a custom permission could cover is refused as custom-permission', () => {
      const custom: Permission = { type: 'custom', name: 'erc721-transfer', data: { contract: stranger }, required: false }
      const result = checkScope(session([mintNft, custom]), [{ to: stranger, data: mint }, { to: nft, data: mint }], options)
      expect(reasonsOf(result)).toMatchInlineSnapshot(`
        [
          {
            "call": 0,
            "message": "target 0x4444…4444 is not granted (keyleash never signs under custom permissions: erc721-transfer); grant a contract-call permission for it",
            "permissions": [
              "erc721-transfer",
            ],
            "reason": "custom-permission",
            "target": "0x4444444444444444444444444444444444444444",
          },
          null,
        ]
      `)
    })

    test('error: a malformed target or calldata is refused, never thrown', () => {
      const calls = [
        { to: '0x1234' as Address, data: mint },
        { to: 'nft' as Address },
        { to: nft, data: '0xmint' as Hex },
        { to: nft, data: `${mint}0` as Hex },
      ]
      expect(codes(checkScope(session([anyOf(nft), native(10n)]), calls, options))).toEqual([
        'target-not-allowed',
        'target-not-allowed',
        'selector-not-allowed',
        'selector-not-allowed',
      ])
    })
  })

  describe('rule 3: native value', () => {
    test('behavior: native value is allowed up to the allowance, in total across the session', () => {
      const granted = session([native(10n), anyOf(nft)], [], { usage: { ...noUsage, native: 4n } })
      const result = checkScope(granted, [{ to: stranger, value: 5n }, { to: nft, data: mint, value: 1n }], options)
      expect(result).toEqual({ allowed: true, usage: { calls: 2, native: 10n, spent: {} } })
    })

    test('error: native value beyond what is left of the allowance is refused as value-over-limit', () => {
      const granted = session([native(10n)], [], { usage: { ...noUsage, native: 4n } })
      expect(reasonsOf(checkScope(granted, [{ to: stranger, value: 7n }], options))[0]).toMatchInlineSnapshot(`
        {
          "allowance": "10",
          "call": 0,
          "message": "the call to 0x4444…4444 sends 7 wei; 6 of 10 are left, send less or grant more",
          "reason": "value-over-limit",
          "remaining": "6",
          "value": "7",
        }
      `)
    })

    test('error: any native value is refused as value-over-limit without a native-transfer permission', () => {
      const result = checkScope(session([anyOf(nft)]), [{ to: nft, data: mint, value: 1n }], options)
      expect(reasonsOf(result)[0]).toMatchObject({ reason: 'value-over-limit', allowance: '0', remaining: '0' })
    })

    test('behavior: value 0 always fits, even without an allowance or with one used up', () => {
      const usedUp = session([native(10n), anyOf(nft)], [], { usage: { ...noUsage, native: 10n } })
      expect(checkScope(usedUp, [{ to: nft, data: mint, value: 0n }, { to: stranger }], options).allowed).toBe(true)
      expect(checkScope(session([anyOf(nft)]), [{ to: nft, data: mint, value: 0n }], options).allowed).toBe(true)
    })

    test('behavior: with payees, a plain transfer pays only them (every list, when there are several); a call with calldata keeps the target rule', () => {
      const held = session([{ type: 'native-transfer', allowance: 10n, payees: [nft, stranger] }, { type: 'native-transfer', allowance: 20n, payees: [getAddress(stranger)] }, mintNft])
      expect(checkScope(held, [{ to: stranger, value: 3n }], options).allowed).toBe(true)
      expect(reasonsOf(checkScope(held, [{ to: nft, value: 3n }], options))[0]).toMatchObject({ reason: 'selector-not-allowed', target: nft })
      expect(codes(checkScope(held, [{ to: token, value: 3n }], options))).toEqual(['target-not-allowed'])
      expect(checkScope(held, [{ to: nft, data: mint, value: 3n }], options).allowed).toBe(true)
    })

    test('error: a negative value is refused as value-over-limit', () => {
      const result = checkScope(session([native(10n)]), [{ to: stranger, value: -1n }], options)
      expect(codes(result)).toEqual(['value-over-limit'])
    })

    test('behavior: of two native allowances the smaller holds (the account keeps one)', () => {
      expect(codes(checkScope(session([native(10n), native(3n)]), [{ to: stranger, value: 4n }], options))).toEqual([
        'value-over-limit',
      ])
    })
  })

  describe('rule 4: token spend', () => {
    test('behavior: transfer is counted against the token allowance, up to all of it', () => {
      const granted = session([tokenAllowance(100n)], [], { usage: { ...noUsage, spent: { [token]: 40n } } })
      const result = checkScope(granted, [{ to: token, data: transfer(60n) }], options)
      expect(result).toEqual({ allowed: true, usage: { calls: 1, native: 0n, spent: { [token]: 100n } } })
    })

    test('error: a transfer beyond what is left of the allowance is refused as spend-over-allowance', () => {
      const granted = session([tokenAllowance(100n)], [], { usage: { ...noUsage, spent: { [token]: 40n } } })
      expect(reasonsOf(checkScope(granted, [{ to: token, data: transfer(61n) }], options))[0]).toMatchInlineSnapshot(`
        {
          "allowance": "100",
          "amount": "61",
          "call": 0,
          "message": "0xa9059cbb on token 0x2222…2222 moves 61; 60 of 100 are left, move less or grant more",
          "reason": "spend-over-allowance",
          "remaining": "60",
          "selector": "0xa9059cbb",
          "token": "0x2222222222222222222222222222222222222222",
        }
      `)
    })

    test.each([
      ['transferFrom', transferFrom],
      ['approve', approve],
      ['increaseAllowance', increaseAllowance],
      ['permit', permit],
    ])('error: %s is counted against the token allowance like transfer', (_, encode) => {
      const granted = session([tokenAllowance(100n), anyOf(token)])
      expect(checkScope(granted, [{ to: token, data: encode(100n) }], options)).toEqual({
        allowed: true,
        usage: { calls: 1, native: 0n, spent: { [token]: 100n } },
      })
      expect(codes(checkScope(granted, [{ to: token, data: encode(60n) }, { to: token, data: encode(41n) }], options))).toEqual([
        null,
        'spend-over-allowance',
      ])
    })

    test('error: calldata too short to hold the amount is refused as spend-over-allowance', () => {
      const short = slice(transfer(1n), 0, 4 + 32 + 31)
      const result = checkScope(session([tokenAllowance(100n)]), [{ to: token, data: short }], options)
      expect(reasonsOf(result)[0]).toMatchInlineSnapshot(`
        {
          "allowance": "100",
          "call": 0,
          "message": "calldata of 0xa9059cbb on token 0x2222…2222 is too short to hold the amount; use encodeFunctionData",
          "reason": "spend-over-allowance",
          "remaining": "100",
          "selector": "0xa9059cbb",
          "token": "0x2222222222222222222222222222222222222222",
        }
      `)
    })

    test('error: on a token with an allowance, functions whose amount is not counted are refused when granted only as every function (transferAndCall, send, approveAndCall of 2^256-1)', () => {
      const granted = session([tokenAllowance(0n), anyOf(token)])
      const unlimited = 2n ** 256n - 1n
      const calls = [
        { to: token, data: encodeFunctionData({ abi: uncounted, functionName: 'transferAndCall', args: [stranger, 10n ** 30n, '0x'] }) },
        { to: token, data: encodeFunctionData({ abi: uncounted, functionName: 'send', args: [stranger, 10n ** 30n, '0x'] }) },
        { to: token, data: encodeFunctionData({ abi: uncounted, functionName: 'approveAndCall', args: [stranger, unlimited, '0x'] }) },
        { to: token, data: mint },
        { to: token },
      ]
      const result = checkScope(granted, calls, options)
      expect(codes(result)).toEqual(Array(5).fill('uncounted-token-function'))
      expect(reasonsOf(result)[2]?.message).toMatchInlineSnapshot(
        `"function 0xcae9ca51 of token 0x2222…2222 may move tokens that its allowance cannot count (only transfer, transferFrom, approve, increaseAllowance and permit are counted); name it in a contract-call permission on the token to allow it"`,
      )
    })

    test('behavior: a function the grant names on a token with an allowance is allowed, and moves nothing that is counted', () => {
      const named: Permission = { type: 'contract-call', target: token, selectors: [toFunctionSelector('mint()'), '0x00000000'] }
      expect(checkScope(session([tokenAllowance(0n), named, anyOf(token)]), [{ to: token, data: mint }, { to: token }], options)).toEqual({
        allowed: true,
        usage: { calls: 2, native: 0n, spent: {} },
      })
    })

    test('behavior: a token without an allowance is not counted', () => {
      const result = checkScope(session([anyOf(otherToken)]), [{ to: otherToken, data: transfer(10n ** 30n) }], options)
      expect(result).toEqual({ allowed: true, usage: { calls: 1, native: 0n, spent: {} } })
    })

    test('behavior: spend is kept by lower-case token address, whatever the letter case of permission and call', () => {
      const granted = session([tokenAllowance(10n, getAddress(mixedCase))])
      const upper = `0x${mixedCase.slice(2).toUpperCase()}` as Address
      const result = checkScope(granted, [{ to: upper, data: transfer(4n) }, { to: mixedCase, data: transfer(6n) }], options)
      expect(result).toEqual({ allowed: true, usage: { calls: 2, native: 0n, spent: { [mixedCase.toLowerCase()]: 10n } } })
      expect(codes(checkScope(granted, [{ to: upper, data: transfer(11n) }], options))).toEqual(['spend-over-allowance'])
    })

    test('behavior: the counted functions are the ERC-20 and ERC-2612 ones, with the amount where their ABI puts it', () => {
      expect(Object.fromEntries(tokenAmountArgument)).toEqual({
        [toFunctionSelector('transfer(address,uint256)')]: 1,
        [toFunctionSelector('transferFrom(address,address,uint256)')]: 2,
        [toFunctionSelector('approve(address,uint256)')]: 1,
        [toFunctionSelector('increaseAllowance(address,uint256)')]: 1,
        [toFunctionSelector('permit(address,address,uint256,uint256,uint8,bytes32,bytes32)')]: 2,
      })
      expect(readWord(permit(7n), 2)).toBe(7n)
      expect(readWord(slice(permit(7n), 0, 99), 2)).toBeUndefined()
    })
  })

  describe('rule 5: call limit', () => {
    test('behavior: calls are allowed up to the call limit', () => {
      const limited = session([mintNft], [{ type: 'call-limit', count: 3 }], { usage: { ...noUsage, calls: 1 } })
      expect(checkScope(limited, [{ to: nft, data: mint }, { to: nft, data: mint }], options)).toMatchObject({
        allowed: true,
        usage: { calls: 3 },
      })
    })

    test('error: a call beyond the call limit is refused as call-limit-reached', () => {
      const limited = session([mintNft], [{ type: 'call-limit', count: 2 }], { usage: { ...noUsage, calls: 1 } })
      const result = checkScope(limited, [{ to: nft, data: mint }, { to: nft, data: mint }], options)
      expect(reasonsOf(result)).toMatchInlineSnapshot(`
        [
          null,
          {
            "call": 1,
            "calls": 2,
            "count": 2,
            "message": "all 2 calls of this session are used; grant a new session",
            "reason": "call-limit-reached",
          },
        ]
      `)
    })

    test('behavior: rate-limit and gas-limit policies are not checked here', () => {
      const policies: Policy[] = [
        { type: 'rate-limit', count: 1, interval: 3600 },
        { type: 'gas-limit', limit: 1n },
      ]
      const result = checkScope(session([mintNft], policies, { usage: { ...noUsage, calls: 99 } }), [{ to: nft, data: mint }], options)
      expect(result.allowed).toBe(true)
    })
  })

  describe('order and batches', () => {
    test('behavior: a call gets the first rule it breaks: self-call, target, value, spend, call limit', () => {
      const granted = session([mintNft, tokenAllowance(5n)], [{ type: 'call-limit', count: 0 }])
      const calls: ScopeCall[] = [
        { to: account, data: burn, value: 9n },
        { to: stranger, data: burn, value: 9n },
        { to: nft, data: burn, value: 9n },
        { to: token, data: transfer(9n), value: 9n },
        { to: token, data: transfer(9n) },
        { to: token, data: transfer(1n) },
      ]
      expect(codes(checkScope(granted, calls, options))).toEqual([
        'self-call',
        'target-not-allowed',
        'selector-not-allowed',
        'value-over-limit',
        'spend-over-allowance',
        'call-limit-reached',
      ])
    })

    test('behavior: usage accumulates across the calls of a batch', () => {
      const granted = session([native(10n), tokenAllowance(10n), anyOf(nft)], [{ type: 'call-limit', count: 3 }])
      const calls: ScopeCall[] = [
        { to: stranger, value: 6n },
        { to: token, data: transfer(6n) },
        { to: nft, data: mint, value: 5n },
        { to: token, data: transfer(5n) },
        { to: nft, data: mint },
      ]
      expect(codes(checkScope(granted, calls, options))).toEqual([
        null,
        null,
        'value-over-limit',
        'spend-over-allowance',
        null,
      ])
    })

    test('behavior: a refused call does not use up anything for the calls after it', () => {
      const granted = session([native(10n), tokenAllowance(10n)], [{ type: 'call-limit', count: 2 }])
      const calls: ScopeCall[] = [
        { to: stranger, value: 11n },
        { to: token, data: transfer(11n) },
        { to: stranger, value: 10n },
        { to: token, data: transfer(10n) },
      ]
      expect(codes(checkScope(granted, calls, options))).toEqual(['value-over-limit', 'spend-over-allowance', null, null])
    })

    test('behavior: every call gets its reason, or null when it fits', () => {
      const calls: ScopeCall[] = [{ to: nft, data: mint }, { to: stranger, data: mint }, { to: nft, data: mint }, { to: account }]
      const reasons = reasonsOf(checkScope(session([mintNft]), calls, options))
      expect(reasons.map((reason) => reason && [reason.call, reason.reason])).toEqual([
        null,
        [1, 'target-not-allowed'],
        null,
        [3, 'self-call'],
      ])
    })

    test('behavior: the session and its usage are never changed', () => {
      const spent = { [token]: 1n }
      const granted = session([tokenAllowance(10n), native(5n)], [], { usage: { calls: 1, native: 1n, spent } })
      const before = structuredClone(granted)
      const result = checkScope(granted, [{ to: token, data: transfer(2n) }, { to: stranger, value: 2n }], options)
      expect(result).toEqual({ allowed: true, usage: { calls: 3, native: 3n, spent: { [token]: 3n } } })
      expect(granted).toEqual(before)
      expect(spent).toEqual({ [token]: 1n })
    })
  })

  describe('properties', () => {
    const addresses = [account, nft, token, otherToken, stranger, mixedCase] as const
    const anyCase = (address: Address) =>
      fc.constantFrom(address, address.toLowerCase() as Address, getAddress(address), `0x${address.slice(2).toUpperCase()}` as Address)
    const address = fc.constantFrom(...addresses).chain(anyCase)
    // What a validated grant may name: never the account (self-call outranks a permission that does: unit-tested above).
    const grantable = fc.constantFrom(...addresses.filter((a) => a !== account)).chain(anyCase)
    const amount = fc.oneof(fc.constantFrom(0n, 1n, 5n, 10n), fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }))
    const encoders = [transfer, transferFrom, approve, increaseAllowance, permit]
    const data: fc.Arbitrary<Hex | undefined> = fc.oneof(
      fc.constant(undefined),
      fc.constantFrom<Hex>('0x', mint, burn),
      fc.tuple(fc.constantFrom(...encoders), amount).map(([encode, value]) => encode(value)),
      // Cut anywhere: no selector, a selector and a half-read amount.
      fc.tuple(fc.constantFrom(...encoders), amount, fc.nat(200)).map(([encode, value, cut]) => {
        const full = encode(value)
        return slice(full, 0, Math.min(cut, size(full)))
      }),
      fc.uint8Array({ maxLength: 80 }).map((bytes) => `0x${Buffer.from(bytes).toString('hex')}` as Hex),
    )
    const call: fc.Arbitrary<ScopeCall> = fc.record(
      { to: address, data, value: fc.option(amount, { nil: undefined }) },
      { requiredKeys: ['to'] },
    )
    const permission: fc.Arbitrary<Permission> = fc.oneof(
      { weight: 4, arbitrary: fc.record({
        type: fc.constant('contract-call' as const),
        target: grantable,
        selectors: fc.oneof(
          fc.constant('any' as const),
          fc.subarray(['0x00000000', '0x095ea7b3', '0x23b872dd', mintSelector, '0x42966c68'] as Hex[]),
        ),
      }) },
      { weight: 2, arbitrary: fc.record({ type: fc.constant('native-transfer' as const), allowance: amount }) },
      { weight: 2, arbitrary: fc.record({ type: fc.constant('erc20-transfer' as const), token: grantable, allowance: amount }) },
      { weight: 1, arbitrary: fc.constant<Permission>({ type: 'custom', name: 'x', data: null, required: false }) },
    )
    const policy: fc.Arbitrary<Policy> = fc.oneof(
      fc.record({ type: fc.constant('call-limit' as const), count: fc.nat(12) }),
      fc.constant<Policy>({ type: 'rate-limit', count: 1, interval: 60 }),
    )
    const usage: fc.Arbitrary<SessionUsage> = fc.record({
      calls: fc.nat(6),
      native: fc.constantFrom(0n, 3n),
      spent: fc.constantFrom({}, { [token]: 4n }),
    })
    const sessionArbitrary = fc
      .tuple(fc.array(permission, { maxLength: 8 }), fc.array(policy, { maxLength: 2 }), usage)
      .map(([permissions, policies, used]) => session(permissions, policies, { usage: used }))
    /**
     * A session and calls mostly aimed at what it grants, with small amounts: arbitrary calls alone
     * almost never fit, which would leave the "allowed" side of the properties untested.
     */
    const scenario = sessionArbitrary.chain((granted) => {
      // (target, selector) pairs the session grants; `undefined` stands for any function.
      const pairs = granted.permissions.flatMap((p): [Address, Hex | undefined][] =>
        p.type === 'contract-call'
          ? p.selectors === 'any'
            ? [[p.target, undefined]]
            : p.selectors.map((selector): [Address, Hex] => [p.target, selector])
          : p.type === 'erc20-transfer'
            ? [[p.token, '0xa9059cbb']]
            : [],
      )
      const small = fc.bigInt({ min: 0n, max: 6n })
      const words = fc.array(small, { maxLength: 4 }).map((list) => list.map((word) => numberToHex(word, { size: 32 })))
      const encoded = fc.tuple(fc.constantFrom(...encoders), small).map(([encode, n]) => encode(n))
      const aimed: fc.Arbitrary<ScopeCall> = pairs.length
        ? fc.constantFrom(...pairs).chain(([target, selector]) =>
            fc.record(
              {
                to: anyCase(target),
                data: selector ? words.map((list) => concat([selector, ...list])) : fc.oneof(data, encoded),
                value: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: small }),
              },
              { requiredKeys: ['to'] },
            ),
          )
        : call
      const plainTransfer = fc.record({ to: address, value: small })
      const calls = fc.array(
        fc.oneof({ weight: 6, arbitrary: aimed }, { weight: 1, arbitrary: plainTransfer }, { weight: 1, arbitrary: call }),
        { maxLength: 6 },
      )
      return fc.tuple(fc.constant(granted), calls)
    })

    /** The rules once more, written plainly from the permissions: what every allowed batch must satisfy. */
    function assertFits(granted: Session, calls: readonly ScopeCall[], after: SessionUsage): void {
      const lower = (value: string) => value.toLowerCase()
      const nativeAllowances = granted.permissions.flatMap((p) => (p.type === 'native-transfer' ? [p.allowance] : []))
      const nativeAllowance = nativeAllowances.length ? nativeAllowances.reduce((a, b) => (a < b ? a : b)) : 0n
      const limits = granted.policies.flatMap((p) => (p.type === 'call-limit' ? [p.count] : []))
      let nativeUsed = granted.usage.native
      const spent: Record<string, bigint> = { ...granted.usage.spent }
      for (const { to, data = '0x', value = 0n } of calls) {
        nativeUsed += value
        if (value !== 0n) expect(nativeUsed).toBeLessThanOrEqual(nativeAllowance)
        expect(lower(to)).not.toBe(lower(granted.account))
        const selector = size(data) >= 4 ? lower(slice(data, 0, 4)) : '0x00000000'
        const grantedPair = granted.permissions.some(
          (p) =>
            (p.type === 'contract-call' &&
              lower(p.target) === lower(to) &&
              (p.selectors === 'any' || p.selectors.includes(selector as Hex))) ||
            (p.type === 'erc20-transfer' && lower(p.token) === lower(to) && selector === '0xa9059cbb'),
        )
        expect(grantedPair || (data === '0x' && nativeAllowance > 0n)).toBe(true)
        const allowances = granted.permissions.flatMap((p) =>
          p.type === 'erc20-transfer' && lower(p.token) === lower(to) ? [p.allowance] : [],
        )
        const argument = tokenAmountArgument.get(selector)
        if (allowances.length && argument !== undefined && data !== '0x') {
          const moved = readWord(data, argument)
          expect(moved).toBeDefined()
          spent[lower(to)] = (spent[lower(to)] ?? 0n) + (moved ?? 0n)
          expect(spent[lower(to)]).toBeLessThanOrEqual(allowances.reduce((a, b) => (a < b ? a : b)))
        }
      }
      if (calls.length > 0) for (const limit of limits) expect(after.calls).toBeLessThanOrEqual(limit)
      // A token counted with amount 0 may or may not have a 0 entry: compare what was moved.
      const moved = (record: Readonly<Record<string, bigint>>) =>
        Object.fromEntries(Object.entries(record).filter(([, value]) => value !== 0n))
      expect({ ...after, spent: moved(after.spent) }).toEqual({
        calls: granted.usage.calls + calls.length,
        native: nativeUsed,
        spent: moved(spent),
      })
    }

    test('behavior: checkScope never throws, gives one reason per call, and allows only batches that fit every rule', () => {
      fc.assert(
        fc.property(scenario, ([granted, calls]) => {
          const result = checkScope(granted, calls, options)
          if (result.allowed) return assertFits(granted, calls, result.usage)
          expect(result.reasons).toHaveLength(calls.length)
          expect(result.reasons.some((reason) => reason !== null)).toBe(true)
          result.reasons.forEach((reason, index) => reason && expect(reason.call).toBe(index))
        }),
        { numRuns: 2000 },
      )
    })

    test('behavior: a batch decides each call as checking the calls one at a time, in order, would', () => {
      fc.assert(
        fc.property(scenario, ([granted, calls]) => {
          let current = granted
          const oneByOne = calls.map((one, index) => {
            const result = checkScope(current, [one], options)
            if (!result.allowed) return result.reasons[0] ? { ...result.reasons[0], call: index } : null
            current = { ...current, usage: result.usage }
            return null
          })
          const batch = checkScope(granted, calls, options)
          expect(batch.allowed).toBe(oneByOne.every((reason) => reason === null))
          expect(batch.allowed ? calls.map(() => null) : batch.reasons).toEqual(oneByOne)
          if (batch.allowed) expect(batch.usage).toEqual(current.usage)
        }),
        { numRuns: 1000 },
      )
    })
  })
})
