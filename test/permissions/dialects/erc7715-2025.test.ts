import { describe, expect, test } from 'vitest'
import { erc7715v2025Requests } from '../../../src/permissions/dialects/erc7715-2025.js'
import { now, rules, seedRequest, seedWire2025 as wire, sessionKey, token } from './fixtures.js'
import { enforcedBy, enforcedRules } from '../../../src/permissions/enforcement.js'

const allWallet = enforcedBy(enforcedRules)

describe('parse', () => {
  test('default: a list of requests, each with chain and account', () => {
    const drafts = erc7715v2025Requests.parse([wire, { ...wire, permissions: [{ type: 'erc20-token-transfer', data: { address: token, allowance: '0x10' } }] }], rules)
    expect(drafts).toHaveLength(2)
    expect(drafts[0]).toStrictEqual({ ...seedRequest, path: '[0].' })
    expect(drafts[1]?.permissions).toStrictEqual([{ type: 'erc20-transfer', token, allowance: 16n }])
  })
  test('error: paths name the request in the list', () => {
    expect(() => erc7715v2025Requests.parse([wire, { ...wire, expiry: 1 }], { ...rules, mode: 'timestamp' })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: [1].expiry: 1 is in the past (now is 1800000000); send a future UNIX timestamp or, in auto mode, a duration in seconds]`,
    )
    expect(() => erc7715v2025Requests.parse([wire, { ...wire, chainId: undefined }], rules)).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: [1].chainId: is required in a list of grant requests]`,
    )
  })
})

describe('answer', () => {
  test('default: the app gets its list back, each request with its context', () => {
    const session = { ...seedRequest, id: '0xabc', keyAddress: sessionKey, usage: { calls: 0, native: 0n, spent: {} }, status: 'active' as const, wallet: 'erc7715-2025' as const, enforcedBy: allWallet, createdAt: now }
    expect(erc7715v2025Requests.answer([session])).toStrictEqual([{ ...wire, context: '0xabc' }])
  })

  test('behavior: the session\'s policies come back in the wire form the request puts them in (a gas limit as hex): the answer survives JSON, and reads back as asked', () => {
    const policies = [{ type: 'call-limit', count: 10 }, { type: 'gas-limit', limit: 300_000n }] as const
    const session = { ...seedRequest, policies: [...policies], id: '0xabc', keyAddress: sessionKey, usage: { calls: 0, native: 0n, spent: {} }, status: 'active' as const, wallet: 'erc7715-2025' as const, enforcedBy: allWallet, createdAt: now }
    const [answer] = JSON.parse(JSON.stringify(erc7715v2025Requests.answer([session]))) as [{ policies: unknown }]
    expect(answer.policies).toStrictEqual([{ type: 'call-limit', data: { count: 10 } }, { type: 'gas-limit', data: { limit: '0x493e0' } }])
    expect(erc7715v2025Requests.parse([{ ...wire, policies: answer.policies }], rules)[0]?.policies).toStrictEqual([...policies])
  })
})
