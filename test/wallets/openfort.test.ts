import type { Address } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { describe, expect, test } from 'vitest'
import type { ResolvedGrantRequest } from '../../src/permissions/dialects/types.js'
import type { Permission, Policy, Signer } from '../../src/permissions/types.js'
import { openfort, openfortWallet } from '../../src/wallets/openfort.js'
import { openfortExecutor } from '../../src/execution/openfort.js'
import { withSessionKeys } from '../../src/provider.js'
import { scriptedProvider } from '../utils/scriptedProvider.js'
import { rejectionOf } from '../utils/rejection.js'
import { account, nft, now, sessionKey, token } from '../permissions/dialects/fixtures.js'
import { sdkSessionRequest } from '../utils/openfortSdk.js'
import { recorded } from './fixtures/openfort.recorded.js'

/*
 * The dialect against Openfort's own SDK: what keyleash encodes, as the SDK's own code turns it
 * into its backend request; what the SDK answered, recorded from its real EvmProvider by
 * scripts/record-openfort.ts (addresses, ids and times as recorded).
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

/** What Openfort's SDK posts to its backend for what keyleash encodes. */
const sdkReceives = (request: ResolvedGrantRequest, dialect = openfort) => sdkSessionRequest(dialect.encode([request], { now }))
const contractCall = (target: Address, selectors: 'any' | `0x${string}`[] = 'any'): Permission => ({ type: 'contract-call', target, selectors })
const grantOf = (permissions: Permission[], policies: Policy[] = [], signer: Signer = { type: 'account', address: sessionKey }): ResolvedGrantRequest => ({
  chainId: 31337,
  account,
  signer,
  expiry: now + 86_400,
  permissions,
  policies,
})

describe('encode, as Openfort\'s SDK encodes it for its backend', () => {
  test('default: the seed\'s grant becomes a session of the key, whitelisting the NFT, for the expiry as a duration, with no limit', async () => {
    const sent = await sdkReceives(grantOf([contractCall(nft, ['0x6a627842'])]))
    expect(sent).toMatchObject({ address: sessionKey, chainId: 31337, whitelist: [nft] })
    expect(sent.validUntil - sent.validAfter).toBe(86_400)
    expect(sent).not.toHaveProperty('limit')
  })

  test('behavior: the call limit reaches the backend as `limit`; viem\'s flattened `type: "call-limit"` would not', async () => {
    expect(await sdkReceives(grantOf([contractCall(nft)], [{ type: 'call-limit', count: 3 }]))).toMatchObject({ limit: 3 })
    const flattened = [{ expiry: 60, signer: { type: 'account', data: { id: sessionKey } }, permissions: [{ type: 'contract-call', data: { address: nft, calls: [] }, policies: [{ type: 'call-limit', data: { limit: 3 } }] }] }]
    expect(await sdkSessionRequest(flattened)).not.toHaveProperty('limit')
  })

  test('behavior: selectors are sent but only targets reach the backend, one whitelist entry per permission', async () => {
    const sent = await sdkReceives(grantOf([contractCall(nft), contractCall(token, ['0xa9059cbb'])]))
    expect(Object.keys(sent).sort()).toStrictEqual(['account', 'address', 'chainId', 'optimistic', 'validAfter', 'validUntil', 'whitelist'])
    expect(sent.whitelist).toStrictEqual([nft, token])
  })

  test('behavior: a key signer is named by its address, which the SDK sends as the session key', async () => {
    const key = privateKeyToAccount(generatePrivateKey())
    const request = grantOf([contractCall(nft)], [], { type: 'key', key: { keyType: 'secp256k1', publicKey: key.publicKey } })
    expect(openfort.encode([request], { now })).toMatchObject([{ signer: { type: 'key', data: { id: key.address } } }])
    expect(await sdkReceives(request)).toMatchObject({ address: key.address })
  })

  test('error: more than 10 targets are refused before the SDK is asked (the SDK whitelists 11; the account reverts "Whitelist too big")', async () => {
    const targets = Array.from({ length: 11 }, () => contractCall(privateKeyToAccount(generatePrivateKey()).address))
    const raw = [{ expiry: 60, signer: { type: 'account', data: { id: sessionKey } }, permissions: targets.map((t) => ({ type: 'contract-call', data: { address: t.type === 'contract-call' && t.target, calls: [] } })) }]
    expect((await sdkSessionRequest(raw)).whitelist).toHaveLength(11)
    expect(() => openfort.encode([grantOf(targets)], { now })).toThrow(
      expect.objectContaining({ code: -32602, message: "permissions: Openfort's account registers a session key for at most 10 target contracts; this grant names 11" }),
    )
    expect((await sdkReceives(grantOf(targets.slice(0, 10)))).whitelist).toHaveLength(10)
  })

  test('error: a grant with no target is refused: the SDK would send an empty whitelist, which the accounts read as any contract', async () => {
    const raw = [{ expiry: 60, signer: { type: 'account', data: { id: sessionKey } }, permissions: [] }]
    expect((await sdkSessionRequest(raw)).whitelist).toStrictEqual([])
    expect(() => openfort.encode([grantOf([])], { now })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: permissions: Openfort's accounts let a key with no target whitelist call any contract; name at least one contract-call target]`,
    )
  })

  test('error: what Openfort cannot hold a session to is refused, never dropped (the SDK silently drops a custom rate-limit)', async () => {
    const rateLimited = [{ expiry: 60, signer: { type: 'account', data: { id: sessionKey } }, permissions: [{ type: 'contract-call', data: { address: nft, calls: [] }, policies: [{ type: { custom: 'rate-limit' }, data: { count: 1, interval: 60 } }] }] }]
    expect(Object.keys(await sdkSessionRequest(rateLimited)).sort()).toStrictEqual(['account', 'address', 'chainId', 'optimistic', 'validAfter', 'validUntil', 'whitelist'])
    expect(() => openfort.encode([grantOf([contractCall(nft)], [{ type: 'rate-limit', count: 1, interval: 60 }])], { now })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: policies: Openfort cannot enforce a rate-limit policy; only call-limit]`,
    )
    expect(() => openfort.encode([grantOf([{ type: 'erc20-transfer', token, allowance: 1n }])], { now })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: permissions[0].type: Openfort grants contract-call permissions only, not erc20-transfer]`,
    )
    expect(() => openfort.encode([grantOf([contractCall(nft)], [], { type: 'wallet' })], { now })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: signer: Openfort takes an account or key signer, not "wallet"]`,
    )
    expect(() => openfort.encode([grantOf([contractCall(nft)], [], { type: 'key', key: { keyType: 'secp256k1', publicKey: `0x02${'11'.repeat(32)}` } })], { now })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: signer: Openfort names a session key by its address: send an uncompressed secp256k1 key (65 bytes) or an account signer]`,
    )
    const keys = [{ expiry: 60, signer: { type: 'keys', data: { ids: [sessionKey] } }, permissions: [{ type: 'contract-call', data: { address: nft, calls: [] } }] }]
    await expect(sdkSessionRequest(keys)).rejects.toMatchObject({ message: 'Multi-key signers are not supported for session creation' })
  })
})

describe('openfortWallet: the account type read', () => {
  test('error: registerOnAccount is for a Delegated Account only: a Smart Account grants through the session API', () => {
    expect(() => openfortWallet({ accountType: 'Smart Account', registerOnAccount: true })).toThrow('only a Delegated Account registers its session keys')
    expect(openfortWallet({ accountType: 'Delegated Account', registerOnAccount: true })).toMatchObject({ name: 'openfort', grantMethod: 'registerKey', revokeMethod: 'revokeKey' })
  })

  // Recorded: a Delegated Account asked for a session without a limit answers `limit: 0`.
  const masterKeyAnswer = () => named('delegated-no-limit').answer

  test('behavior: limit 0 is refused as each account type means it: a master key on a Delegated Account, no calls left on a Smart Account', () => {
    const request = grantOf([contractCall(nft)], [{ type: 'call-limit', count: 3 }])
    expect(() => openfortWallet({ accountType: 'Delegated Account' }).decode(masterKeyAnswer(), [request], { now })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: result.grantedPermissions[0].policies[0].data.limit: is 0: Openfort's first Delegated Account read limit 0 as a master key (any call, any target, any value, no expiry), and its current one refuses it]`,
    )
    expect(() => openfortWallet({ accountType: 'Smart Account' }).decode(masterKeyAnswer(), [request], { now })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: result.grantedPermissions[0].policies[0].data.limit: is 0: a Smart Account key with limit 0 has no calls left]`,
    )
    expect(() => openfort.decode(masterKeyAnswer(), [request], { now })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: result.grantedPermissions[0].policies[0].data.limit: is 0: on Openfort's first Delegated Account a master key (any call, any target, no expiry), on a Smart Account a key with no calls left]`,
    )
  })

  test('behavior: a positive limit is the call limit on both types', () => {
    for (const accountType of ['Smart Account', 'Delegated Account'] as const)
      expect(openfortWallet({ accountType }).decode(named('call-limit').answer, [grantOf([contractCall(nft)], [{ type: 'call-limit', count: 3 }])], { now })[0]?.policies).toStrictEqual([{ type: 'call-limit', count: 3 }])
  })

  test('error: on a Delegated Account a grant without a call limit is refused before Openfort is asked (it would register a master key)', async () => {
    const delegated = openfortWallet({ accountType: 'Delegated Account' })
    expect(() => delegated.encode([grantOf([contractCall(nft)])], { now })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: policies: on a Delegated Account, Openfort registers a session without a limit with limit 0, which Openfort's first Delegated Account read as a master key and its current one refuses]`,
    )
    expect(await sdkReceives(grantOf([contractCall(nft)], [{ type: 'call-limit', count: 2 }]), delegated)).toMatchObject({ limit: 2 })
    expect(openfortWallet({ accountType: 'Smart Account' }).encode([grantOf([contractCall(nft)])], { now })).toHaveLength(1)
  })

  test('behavior: the wallet enforces the same rules on both types: the session API carries a whitelist, a limit and a window only', () => {
    for (const accountType of ['Smart Account', 'Delegated Account'] as const) expect(openfortWallet({ accountType }).enforces).toStrictEqual(['target', 'call-limit', 'expiry'])
  })

  test('error: the account type is validated', () => {
    expect(() => openfortWallet({ accountType: 'Externally Owned Account' as never })).toThrow(
      expect.objectContaining({ code: -32602, message: "accountType: must be 'Smart Account' or 'Delegated Account', got \"Externally Owned Account\"" }),
    )
    expect(() => openfortWallet({} as never)).toThrow(expect.objectContaining({ code: -32602 }))
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
    expect(() => openfort.decode(named('delegated-no-limit').answer, [requestOf('seed')], { now })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: result.grantedPermissions[0].policies[0].data.limit: is 0: on Openfort's first Delegated Account a master key (any call, any target, no expiry), on a Smart Account a key with no calls left]`,
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

describe('granted (what keyleash revokes when it refuses an answer)', () => {
  test('behavior: a key signer\'s grant is named by the key\'s address, as encodeRevoke revokes it', () => {
    const key = privateKeyToAccount(generatePrivateKey())
    const signer: Signer = { type: 'key', key: { keyType: 'secp256k1', publicKey: key.publicKey } }
    expect(openfort.granted?.(named('delegated-no-limit').answer, [grantOf([contractCall(nft)], [], signer)])).toStrictEqual([{ id: key.address, signer }])
  })

  test('error: an answer refused for a key signer (recorded: limit 0) is revoked at Openfort by the key\'s address', async () => {
    const key = privateKeyToAccount(generatePrivateKey())
    const inner = scriptedProvider({
      eth_chainId: '0x7a69',
      eth_accounts: [account],
      wallet_grantPermissions: named('delegated-no-limit').answer,
      wallet_revokePermissions: {},
    })
    const executor = openfortExecutor({ backend: { url: 'http://127.0.0.1:1' }, account: 'acc_1' })
    const provider = withSessionKeys(inner, { wallet: openfort, executor, now: () => now })
    const grant = { expiry: 3600, signer: { type: 'key', data: { id: key.publicKey } }, permissions: [{ type: 'contract-call', data: { address: nft, calls: [] } }] }
    const error = await rejectionOf(provider.request({ method: 'wallet_grantPermissions', params: [grant] }))
    expect(error).toMatchObject({ code: -32603, data: { contexts: [key.address], revoked: true } })
    expect(inner.paramsOf('wallet_revokePermissions')).toStrictEqual([[{ permissionContext: key.address }]])
    expect(await provider.sessions.list()).toStrictEqual([])
  })
})
