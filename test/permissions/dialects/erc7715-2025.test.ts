import { describe, expect, test } from 'vitest'
import { erc7715v2025 } from '../../../src/permissions/dialects/erc7715-2025.js'
import { account, nft, now, rules, seedRequest, sessionKey, token } from './fixtures.js'

const wire = {
  chainId: '0x7a69',
  address: account,
  expiry: now + 86_400,
  signer: { type: 'account', data: { address: sessionKey } },
  permissions: [{ type: 'contract-call', data: { address: nft, calls: ['0x6a627842'] } }],
}

describe('parse', () => {
  test('default: a list of requests, each with chain and account', () => {
    const drafts = erc7715v2025.parse([wire, { ...wire, permissions: [{ type: 'erc20-token-transfer', data: { address: token, allowance: '0x10' } }] }], rules)
    expect(drafts).toHaveLength(2)
    expect(drafts[0]).toStrictEqual({ ...seedRequest, path: '[0].' })
    expect(drafts[1]?.permissions).toStrictEqual([{ type: 'erc20-transfer', token, allowance: 16n }])
  })
  test('error: paths name the request in the list', () => {
    expect(() => erc7715v2025.parse([wire, { ...wire, expiry: 1 }], { ...rules, mode: 'timestamp' })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: [1].expiry: 1 is in the past (now is 1800000000); send a future UNIX timestamp or, in auto mode, a duration in seconds]`,
    )
    expect(() => erc7715v2025.parse([wire, { ...wire, chainId: undefined }], rules)).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: [1].chainId: is required in a list of grant requests]`,
    )
  })
})

describe('encode, decode, answer', () => {
  test('default: the request goes out as the 2025 shape and comes back with a context', () => {
    const [encoded] = erc7715v2025.encode([seedRequest], { now })
    expect(encoded).toStrictEqual(wire)
    const [granted] = erc7715v2025.decode([{ ...wire, context: '0xabc', accountMeta: { factory: nft } }], [seedRequest], { now })
    expect(granted).toStrictEqual({ context: '0xabc', expiry: now + 86_400, permissions: seedRequest.permissions, policies: [], walletData: { accountMeta: { factory: nft } } })
  })
  test('error: a call limit cannot be carried in the 2025 shape', () => {
    expect(() => erc7715v2025.encode([{ ...seedRequest, policies: [{ type: 'call-limit', count: 1 }] }], { now })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: [0].policies: the wallet speaks ERC-7715 (2025), which cannot carry a call-limit policy]`,
    )
  })
  test('error: an answer with fewer grants than requests', () => {
    expect(() => erc7715v2025.decode([], [seedRequest], { now })).toThrowErrorMatchingInlineSnapshot(`[InvalidParamsError: result: the wallet answered 0 grants for 1 requests]`)
  })
  test('behavior: key signers keep their type', () => {
    const [encoded] = erc7715v2025.encode([{ ...seedRequest, signer: { type: 'key', key: { keyType: 'ed25519', publicKey: `0x${'ab'.repeat(32)}` } } }], { now })
    expect((encoded as { signer: unknown }).signer).toStrictEqual({ type: 'key', data: { type: 'ed25519', publicKey: `0x${'ab'.repeat(32)}` } })
  })
})
