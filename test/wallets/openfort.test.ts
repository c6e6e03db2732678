import type { Address } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { describe, expect, test } from 'vitest'
import type { ResolvedGrantRequest } from '../../src/permissions/dialects/types.js'
import type { Permission, Policy, Signer } from '../../src/permissions/types.js'
import { openfort } from '../../src/wallets/openfort.js'
import { account, now, sessionKey, token } from '../permissions/dialects/fixtures.js'
import { recorded } from './fixtures/openfort.recorded.js'

/*
 * The dialect against what Openfort's own SDK sent and answered, recorded from its real
 * EvmProvider by scripts/record-openfort.ts (addresses, ids and times as recorded).
 */

type Recorded = { name: string; params: unknown; answer?: unknown; error?: { code: unknown; message: unknown }; backend?: Record<string, unknown> }
const named = (name: string): Recorded => recorded.find((r) => r.name === name) as unknown as Recorded
type WireRequest = { expiry: number; signer: { type: 'account' | 'key'; data: { id: Address } }; permissions: readonly { data: { address: Address; calls: readonly string[] } }[] }
const wire = (name: string) => (named(name).params as unknown as readonly WireRequest[])[0] as WireRequest

/** The keyleash request that became a recorded wire request: what keyleash's own encoder must write. */
function requestOf(name: string, policies: Policy[] = []): ResolvedGrantRequest {
  const sent = wire(name)
  const signer: Signer = { type: 'account', address: sent.signer.data.id }
  return {
    chainId: 31337,
    account,
    signer,
    expiry: now + sent.expiry,
    permissions: sent.permissions.map((p): Permission => ({ type: 'contract-call', target: p.data.address, selectors: p.data.calls.length === 0 ? 'any' : (p.data.calls as `0x${string}`[]) })),
    policies,
  }
}

describe('encode (what Openfort\'s SDK receives)', () => {
  test('default: the seed\'s request is what the SDK was recorded taking: expiry as a duration, no policies', () => {
    expect(openfort.encode([requestOf('seed')], { now })).toStrictEqual(named('seed').params)
  })

  test('behavior: the call limit goes under type.custom with data.limit, which the SDK sends the backend as `limit`', () => {
    expect(openfort.encode([requestOf('call-limit', [{ type: 'call-limit', count: 3 }])], { now })).toStrictEqual(named('call-limit').params)
    expect(named('call-limit').backend).toMatchObject({ limit: 3 })
    // viem's flattening to a plain string is lost at Openfort (recorded): keyleash never sends it.
    expect(named('flattened-call-limit').backend).not.toHaveProperty('limit')
  })

  test('error: more than 10 targets are refused before the SDK is asked (it whitelisted 11, recorded; the account reverts "Whitelist too big")', () => {
    expect(named('eleven-targets').backend?.whitelist).toHaveLength(11)
    expect(() => openfort.encode([requestOf('eleven-targets')], { now })).toThrow(
      expect.objectContaining({ code: -32602, message: "permissions: Openfort's account registers a session key for at most 10 target contracts; this grant names 11" }),
    )
    const ten = requestOf('eleven-targets')
    expect(openfort.encode([{ ...ten, permissions: ten.permissions.slice(0, 10) }], { now })).toHaveLength(1)
  })

  test('behavior: selectors are sent but only targets reach the backend', () => {
    expect(Object.keys(named('two-targets').backend as object).sort()).toStrictEqual(['account', 'address', 'chainId', 'optimistic', 'validAfter', 'validUntil', 'whitelist'])
  })

  test('behavior: a key signer is named by its address, which the SDK reads as the session key', () => {
    const key = privateKeyToAccount(generatePrivateKey())
    const [sent] = openfort.encode([{ ...requestOf('seed'), signer: { type: 'key', key: { keyType: 'secp256k1', publicKey: key.publicKey } } }], { now }) as [{ signer: unknown }]
    expect(sent.signer).toStrictEqual({ type: 'key', data: { id: key.address } })
    expect(named('key-signer').backend).toMatchObject({ address: wire('key-signer').signer.data.id })
  })

  test('error: what Openfort cannot hold a session to is refused, never dropped (the SDK silently ignores a custom rate-limit, recorded)', () => {
    expect(named('rate-limit').answer).toBeDefined()
    expect(() => openfort.encode([{ ...requestOf('seed'), policies: [{ type: 'rate-limit', count: 1, interval: 60 }] }], { now })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: policies: Openfort cannot enforce a rate-limit policy; only call-limit]`,
    )
    expect(() => openfort.encode([{ ...requestOf('seed'), permissions: [{ type: 'erc20-transfer', token, allowance: 1n }] }], { now })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: permissions[0].type: Openfort grants contract-call permissions only, not erc20-transfer]`,
    )
    expect(() => openfort.encode([{ ...requestOf('seed'), signer: { type: 'wallet' } }], { now })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: signer: Openfort takes an account or key signer, not "wallet"]`,
    )
    expect(() => openfort.encode([{ ...requestOf('seed'), signer: { type: 'key', key: { keyType: 'secp256k1', publicKey: `0x02${'11'.repeat(32)}` } } }], { now })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: signer: Openfort names a session key by its address: send an uncompressed secp256k1 key (65 bytes) or an account signer]`,
    )
    expect(named('keys-signer').error).toStrictEqual({ code: -32003, message: 'Multi-key signers are not supported for session creation' })
  })
})

describe('decode (what Openfort\'s SDK answers)', () => {
  test('default: usage-limit without a limit is no limit; calls: [] is every function; validUntil and the ses_ context are read', () => {
    const answer = named('seed').answer as { expiry: number; permissionsContext: string }
    expect(openfort.decode(answer, [requestOf('seed')], { now })).toStrictEqual([
      { context: answer.permissionsContext, expiry: answer.expiry, permissions: [{ type: 'contract-call', target: wire('seed').permissions[0]?.data.address, selectors: 'any' }], policies: [] },
    ])
    expect(answer.permissionsContext).toMatch(/^ses_/)
  })

  test('behavior: usage-limit with a limit is the call limit, once for the session although on every permission', () => {
    const [limited] = openfort.decode(named('call-limit').answer, [requestOf('call-limit')], { now })
    expect(limited?.policies).toStrictEqual([{ type: 'call-limit', count: 3 }])
    const [two] = openfort.decode(named('two-targets').answer, [requestOf('two-targets')], { now })
    expect(two?.permissions.map((p) => p.type === 'contract-call' && p.selectors)).toStrictEqual(['any', 'any'])
    expect(two?.policies).toStrictEqual([])
  })

  test('error: an answer keyleash cannot read says which field', () => {
    const bad = { ...(named('call-limit').answer as object), grantedPermissions: [{ type: 'contract-call', data: { address: token, calls: [] }, policies: [{ type: { custom: 'usage-limit' }, data: { limit: 0 } }] }] }
    expect(() => openfort.decode(bad, [requestOf('seed')], { now })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: result.grantedPermissions[0].policies[0].data.limit: must be a positive integer, got 0]`,
    )
    // `Number(validUntil) || 0`: a session the SDK could not date is no session that never ends.
    expect(() => openfort.decode({ ...(named('seed').answer as object), expiry: 0 }, [requestOf('seed')], { now })).toThrowErrorMatchingInlineSnapshot(`[InvalidParamsError: result.expiry: must be a positive integer, got 0]`)
  })
})

describe('encodeRevoke', () => {
  test('behavior: by the session key\'s address, which the SDK sends the backend as `address`; a ses_ context is no address there (recorded)', () => {
    expect(openfort.encodeRevoke({ id: 'ses_abc', signer: { type: 'account', address: sessionKey } })).toStrictEqual([{ permissionContext: sessionKey }])
    const revoke = named('revoke')
    expect(revoke.backend).toMatchObject({ address: (revoke.params as unknown as [{ permissionContext: string }])[0].permissionContext })
    expect(named('revoke-by-context').error).toMatchObject({ code: -32003 })
  })
})
