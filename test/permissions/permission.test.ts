import { describe, expect, test } from 'vitest'
import { mergePermissions, mergePolicies, parsePermission } from '../../src/permissions/permission.js'
import { rejection } from '../utils/rejection.js'

const nft = '0x5FbDB2315678afecb367f032d93F642f64180aa3'
const token = '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512'

function message(value: unknown) {
  const { code, message } = rejection(() => parsePermission(value, 'permissions[0]'))
  expect(code).toBe(-32602)
  return message
}

describe('contract-call', () => {
  test('default: signatures and selectors become sorted, unique, lower-case selectors', () => {
    expect(parsePermission({ type: 'contract-call', data: { address: nft.toLowerCase(), calls: ['mint(address)', '0x6A627842', 'function burn(uint256 id)'] } }, 'p')).toEqual({
      permission: { type: 'contract-call', target: nft, selectors: ['0x42966c68', '0x6a627842'] },
      policies: [],
    })
  })
  test('behavior: no calls, or an empty list, means every function of the target, kept visible as "any"', () => {
    expect(parsePermission({ type: 'contract-call', data: { address: nft, calls: [] } }, 'p').permission).toMatchObject({ selectors: 'any' })
    expect(parsePermission({ type: 'contract-call', data: { address: nft } }, 'p').permission).toMatchObject({ selectors: 'any' })
  })
  test('behavior: a type may be { custom } (other senders) as well as a string (viem)', () => {
    expect(parsePermission({ type: { custom: 'contract-call' }, data: { address: nft } }, 'p').permission.type).toBe('contract-call')
  })
  test('error: a malformed signature names its index', () => {
    expect(message({ type: 'contract-call', data: { address: nft, calls: ['mint(address)', 'mint(address'] } })).toBe(
      'permissions[0].data.calls[1]: "mint(address" is not a function signature or selector',
    )
  })
  test('error: a misspelt type is not silently another function', () => {
    expect(message({ type: 'contract-call', data: { address: nft, calls: ['mint(adress)'] } })).toMatch(/is not a function signature or selector/)
  })
  test('error: a selector of the wrong length', () => {
    expect(message({ type: 'contract-call', data: { address: nft, calls: ['0x6a6278'] } })).toBe(
      'permissions[0].data.calls[0]: "0x6a6278" is not a 4-byte selector (0x and 8 hex digits)',
    )
  })
  test('error: a target that is not an address', () => {
    expect(message({ type: 'contract-call', data: { address: 'nft', calls: [] } })).toBe('permissions[0].data.address: "nft" is not an address (0x and 40 hex digits)')
  })
  test('error: calls that are not a list', () => {
    expect(message({ type: 'contract-call', data: { address: nft, calls: 'mint(address)' } })).toBe('permissions[0].data.calls: must be an array, got "mint(address)"')
  })
})

describe('token permissions', () => {
  test('default: an allowance in hex or decimal', () => {
    expect(parsePermission({ type: 'erc20-token-transfer', data: { address: token, allowance: '0x64' } }, 'p').permission).toEqual({ type: 'erc20-transfer', token, allowance: 100n })
    expect(parsePermission({ type: 'native-token-transfer', data: { allowance: '1000' } }, 'p').permission).toEqual({ type: 'native-transfer', allowance: 1000n })
  })
  test('behavior: viem puts the allowance in a token-allowance policy; spent-limit reads the same; the smaller wins', () => {
    const parsed = parsePermission(
      { type: 'native-token-transfer', data: { ticker: 'ETH' }, policies: [{ type: 'token-allowance', data: { allowance: '0x10' } }, { type: 'spent-limit', data: { allowance: 8 } }] },
      'p',
    )
    expect(parsed).toEqual({ permission: { type: 'native-transfer', allowance: 8n }, policies: [] })
  })
  test('error: a token permission without an allowance', () => {
    expect(message({ type: 'erc20-token-transfer', data: { address: token } })).toBe(
      'permissions[0].data.allowance: a token permission needs an allowance (data.allowance or a token-allowance policy)',
    )
  })
  test.each([-1, 1.5, '-1', '1e18', '0x', 'ten'])('error: allowance %s is not a non-negative integer', (allowance) => {
    expect(message({ type: 'erc20-token-transfer', data: { address: token, allowance } })).toMatch(/^permissions\[0\].data.allowance: .* is not a non-negative integer/)
  })
  test('error: a token allowance policy on a contract call', () => {
    expect(message({ type: 'contract-call', data: { address: nft }, policies: [{ type: 'token-allowance', data: { allowance: 1 } }] })).toBe(
      'permissions[0].policies[0].type: "token-allowance" limits a token permission, not "contract-call"',
    )
  })
})

describe('policies', () => {
  test('default: call-limit reads { count } and Openfort\'s { limit }, rate and gas limits', () => {
    const { policies } = parsePermission(
      {
        type: 'contract-call',
        data: { address: nft },
        policies: [
          { type: 'call-limit', data: { count: 5 } },
          { type: { custom: 'call-limit' }, data: { limit: 3 } },
          { type: 'rate-limit', data: { count: 2, interval: 60 } },
          { type: 'gas-limit', data: { limit: '0x5208' } },
        ],
      },
      'p',
    )
    expect(policies).toEqual([
      { type: 'call-limit', count: 5 },
      { type: 'call-limit', count: 3 },
      { type: 'rate-limit', count: 2, interval: 60 },
      { type: 'gas-limit', limit: 21000n },
    ])
    expect(mergePolicies(policies)).toEqual([{ type: 'call-limit', count: 3 }, { type: 'rate-limit', count: 2, interval: 60 }, { type: 'gas-limit', limit: 21000n }])
  })
  test.each([
    [{ type: 'call-limit', data: { count: 0 } }, 'permissions[0].policies[0].data.count: must be a positive integer, got 0'],
    [{ type: 'call-limit', data: {} }, 'permissions[0].policies[0].data.limit: is required (a non-negative integer)'],
    [{ type: 'rate-limit', data: { count: 1, interval: -1 } }, 'permissions[0].policies[0].data.interval: -1 is not a non-negative integer (a number, a decimal string or 0x-hex)'],
    [{ type: 'gas-limit', data: { limit: 0 } }, 'permissions[0].policies[0].data.limit: must be a positive integer, got 0'],
    [{ type: 'time-of-day', data: {} }, 'permissions[0].policies[0].type: "time-of-day" is not a policy keyleash can enforce'],
  ])('error: %o', (policy, expected) => {
    expect(message({ type: 'contract-call', data: { address: nft }, policies: [policy] })).toBe(expected)
  })
})

describe('unknown permission types', () => {
  test('behavior: an optional unknown type is kept as opaque custom data', () => {
    expect(parsePermission({ type: 'erc721-token-transfer', data: { address: nft, tokenIds: ['0x1'] }, required: false }, 'p').permission).toEqual({
      type: 'custom',
      name: 'erc721-token-transfer',
      data: { address: nft, tokenIds: ['0x1'] },
      required: false,
    })
  })
  test('error: a required (or unmarked) unknown type is refused before the wallet sees it', () => {
    expect(message({ type: 'native-token-recurring-allowance', data: {}, required: true })).toBe(
      'permissions[0].type: "native-token-recurring-allowance" is a permission type keyleash cannot enforce, and it is required',
    )
    expect(message({ type: 'mystery', data: {} })).toMatch(/and it is required$/)
  })
})

describe('mergePermissions', () => {
  test('behavior: two contract calls to one target merge into the union of their selectors; "any" absorbs', () => {
    const merged = mergePermissions(
      [
        { type: 'contract-call', target: nft, selectors: ['0x6a627842'] },
        { type: 'contract-call', target: nft.toLowerCase() as `0x${string}`, selectors: ['0x42966c68', '0x6a627842'] },
        { type: 'contract-call', target: token, selectors: ['0x6a627842'] },
        { type: 'contract-call', target: token, selectors: 'any' },
      ],
      'permissions',
    )
    expect(merged).toEqual([
      { type: 'contract-call', target: nft, selectors: ['0x42966c68', '0x6a627842'] },
      { type: 'contract-call', target: token, selectors: 'any' },
    ])
  })
  test('error: one token with two different allowances is ambiguous', () => {
    expect(() =>
      mergePermissions(
        [
          { type: 'erc20-transfer', token, allowance: 1n },
          { type: 'erc20-transfer', token, allowance: 2n },
        ],
        'permissions',
      ),
    ).toThrowErrorMatchingInlineSnapshot(`[InvalidParamsError: permissions[1]: a second erc20-transfer permission for the same token with another allowance; send one]`)
  })
})
