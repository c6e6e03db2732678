import { describe, expect, test } from 'vitest'
import { erc7715 } from '../../../src/permissions/dialects/erc7715.js'
import { nft, now, rules, seedRequest, sessionKey } from './fixtures.js'
import { enforcedBy, enforcedRules } from '../../../src/permissions/enforcement.js'

const allWallet = enforcedBy(enforcedRules)

describe('parse (what viem sends)', () => {
  test('default: the seed\'s request, with no chain and no account', () => {
    const [draft] = erc7715.parse(
      [
        {
          expiry: 60 * 60 * 24,
          signer: { type: 'account', data: { id: sessionKey } },
          permissions: [{ type: 'contract-call', data: { address: nft, calls: ['mint(address)'] }, policies: [], required: true }],
        },
      ],
      rules,
    )
    expect(draft).toEqual({ ...seedRequest, chainId: undefined, account: undefined, path: '' })
  })
  test('behavior: policies on any permission limit the whole session', () => {
    const [draft] = erc7715.parse(
      [{ expiry: 3600, permissions: [{ type: 'contract-call', data: { address: nft }, policies: [{ type: 'call-limit', data: { count: 5 } }] }] }],
      rules,
    )
    expect(draft?.policies).toEqual([{ type: 'call-limit', count: 5 }])
    expect(draft?.signer).toBeUndefined()
  })
  test('error: params must hold one request', () => {
    expect(() => erc7715.parse([], rules)).toThrowErrorMatchingInlineSnapshot(`[InvalidParamsError: params: must hold one grant request, got 0]`)
    expect(() => erc7715.parse({}, rules)).toThrowErrorMatchingInlineSnapshot(`[InvalidParamsError: params: must be an array, got an object]`)
  })
  test('error: an empty permission list', () => {
    expect(() => erc7715.parse([{ expiry: 3600, permissions: [] }], rules)).toThrowErrorMatchingInlineSnapshot(`[InvalidParamsError: permissions: must hold at least one permission]`)
  })
})

describe('encode (what a June 2024 wallet receives)', () => {
  test('default: the viem shape, selectors as calls, limits on the first permission', () => {
    expect(erc7715.encode([{ ...seedRequest, policies: [{ type: 'call-limit', count: 5 }, { type: 'gas-limit', limit: 21000n }] }], { now })).toEqual([
      {
        expiry: now + 86_400,
        signer: { type: 'account', data: { id: sessionKey } },
        permissions: [
          {
            type: 'contract-call',
            data: { address: nft, calls: ['0x6a627842'] },
            policies: [
              { type: 'call-limit', data: { count: 5 } },
              { type: 'gas-limit', data: { limit: '0x5208' } },
            ],
            required: true,
          },
        ],
      },
    ])
  })
})

describe('decode and answer', () => {
  const answer = {
    expiry: now + 86_400,
    permissionsContext: '0xc0ffee',
    grantedPermissions: [{ type: 'contract-call', data: { address: nft, calls: ['0x6a627842'] }, policies: [], required: true }],
    factory: '0x1111111111111111111111111111111111111111',
    factoryData: '0x',
  }
  test('default: the wallet\'s answer becomes a grant, with the wallet data kept', () => {
    expect(erc7715.decode(answer, [seedRequest], { now })).toEqual([
      {
        context: '0xc0ffee',
        expiry: now + 86_400,
        permissions: seedRequest.permissions,
        policies: [],
        walletData: { factory: answer.factory, factoryData: '0x' },
      },
    ])
  })
  test('error: an answer without a context', () => {
    expect(() => erc7715.decode({ ...answer, permissionsContext: undefined }, [seedRequest], { now })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: result.permissionsContext: must be a non-empty string, got nothing]`,
    )
  })
  test('default: the app gets one object viem can read', () => {
    const session = {
      ...seedRequest,
      id: '0xc0ffee',
      keyAddress: sessionKey,
      usage: { calls: 0, native: 0n, spent: {} },
      status: 'active' as const,
      wallet: 'erc7715' as const,
      enforcedBy: allWallet,
      walletData: { factory: answer.factory, factoryData: '0x' },
      createdAt: now,
    }
    expect(erc7715.answer([session])).toStrictEqual({
      expiry: now + 86_400,
      grantedPermissions: answer.grantedPermissions,
      permissionsContext: '0xc0ffee',
      factory: answer.factory,
      factoryData: '0x',
    })
  })
})
