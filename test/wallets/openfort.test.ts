import { describe, expect, test } from 'vitest'
import { openfort } from '../../src/wallets/openfort.js'
import { nft, now, seedRequest, sessionKey, token } from '../permissions/dialects/fixtures.js'

describe('encode (what Openfort receives)', () => {
  test('default: expiry as a duration, the call limit under type.custom with data.limit', () => {
    expect(openfort.encode([{ ...seedRequest, policies: [{ type: 'call-limit', count: 10 }] }], { now: now + 60 })).toStrictEqual([
      {
        expiry: 86_400 - 60,
        signer: { type: 'account', data: { id: sessionKey } },
        permissions: [
          {
            type: 'contract-call',
            data: { address: nft, calls: ['0x6a627842'] },
            policies: [{ type: { custom: 'call-limit' }, data: { limit: 10 } }],
            required: true,
          },
        ],
      },
    ])
  })
  test('error: a limit Openfort cannot enforce is refused, never dropped', () => {
    expect(() => openfort.encode([{ ...seedRequest, policies: [{ type: 'rate-limit', count: 1, interval: 60 }] }], { now })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: policies: Openfort cannot enforce a rate-limit policy; only call-limit]`,
    )
  })
  test('error: token permissions and key signers are refused', () => {
    expect(() => openfort.encode([{ ...seedRequest, permissions: [{ type: 'erc20-transfer', token, allowance: 1n }] }], { now })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: permissions[0].type: Openfort grants contract-call permissions only, not erc20-transfer]`,
    )
    expect(() => openfort.encode([{ ...seedRequest, signer: { type: 'wallet' } }], { now })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: signer.type: Openfort takes an account signer, not "wallet"]`,
    )
  })
  test('error: more than ten targets', () => {
    const permissions = Array.from({ length: 11 }, (_, i) => ({ type: 'contract-call' as const, target: `0x${(i + 1).toString(16).padStart(40, '0')}` as const, selectors: 'any' as const }))
    expect(() => openfort.encode([{ ...seedRequest, permissions }], { now })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: permissions: Openfort allows at most 10 target contracts per session, got 11]`,
    )
  })
})

describe('decode and revoke', () => {
  test('default: validUntil and the ses_ context are read back', () => {
    const [granted] = openfort.decode(
      {
        expiry: now + 86_400,
        permissionsContext: 'ses_abc',
        grantedPermissions: [{ type: 'contract-call', data: { address: nft, calls: [] }, policies: [{ type: { custom: 'call-limit' }, data: { limit: 10 } }] }],
      },
      [seedRequest],
      { now },
    )
    expect(granted).toStrictEqual({
      context: 'ses_abc',
      expiry: now + 86_400,
      permissions: [{ type: 'contract-call', target: nft, selectors: 'any' }],
      policies: [{ type: 'call-limit', count: 10 }],
      walletData: {},
    })
  })
  test('behavior: Openfort revokes by the session key\'s address, not the context', () => {
    expect(openfort.encodeRevoke({ id: 'ses_abc', signer: { type: 'account', address: sessionKey } })).toStrictEqual([{ permissionContext: sessionKey }])
  })
})
