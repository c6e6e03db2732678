import { describe, expect, test } from 'vitest'
import { erc7715v2025 } from '../../src/wallets/erc7715-2025.js'
import { nft, now, seedRequest, seedWire2025 as wire } from '../permissions/dialects/fixtures.js'

describe('encode, decode', () => {
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

describe('revoke', () => {
  test('default: by the permissions context', () => {
    expect(erc7715v2025.encodeRevoke({ id: '0xabc', signer: seedRequest.signer })).toStrictEqual([{ permissionContext: '0xabc' }])
  })
})
