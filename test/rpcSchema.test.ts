import type { Hex } from 'viem'
import { describe, expect, expectTypeOf, test } from 'vitest'
import type { KeyleashErrorData } from '../src/errors.js'
import type { ScopeReason } from '../src/permissions/scope.js'
import { withSessionKeys } from '../src/provider.js'
import type { ExecutionPermissionAnswer, GrantAnswer2024, GrantAnswer2025, PermissionRequest } from '../src/rpcSchema.js'
import { scriptedProvider } from './utils/scriptedProvider.js'

// Checked by the type checker (`npm run typecheck`, in CI): a wrong answer type fails the build.
describe('KeyleashRequest', () => {
  test('types: each owned method answers its own type; every other method unknown', () => {
    const provider = withSessionKeys(scriptedProvider())
    const requests = {
      grant2024: () => provider.request({ method: 'wallet_grantPermissions', params: [{ expiry: 3600, permissions: [] }] }),
      grant2025: () => provider.request({ method: 'wallet_grantPermissions', params: [{ chainId: '0x1', expiry: 3600, signer: {}, permissions: [] }] }),
      execution: () => provider.request({ method: 'wallet_requestExecutionPermissions', params: [{ chainId: '0x1', permission: { type: 'native-token-allowance', isAdjustmentAllowed: false, data: {} } }] }),
      send: () => provider.request({ method: 'wallet_sendCalls', params: [{ version: '2.0.0', chainId: '0x1', atomicRequired: true, calls: [], capabilities: { permissions: { context: '0x01' } } }] }),
      sign: () => provider.request({ method: 'personal_sign', params: ['0x68656c6c6f', '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'] }),
      other: () => provider.request({ method: 'eth_blockNumber' }),
    }
    expectTypeOf(requests.grant2024).returns.resolves.toEqualTypeOf<GrantAnswer2024>()
    expectTypeOf(requests.grant2025).returns.resolves.toEqualTypeOf<GrantAnswer2025[]>()
    expectTypeOf(requests.execution).returns.resolves.toEqualTypeOf<ExecutionPermissionAnswer[]>()
    expectTypeOf(requests.send).returns.resolves.toEqualTypeOf<{ id: string; capabilities?: Record<string, unknown> | undefined }>()
    expectTypeOf(requests.sign).returns.resolves.toEqualTypeOf<Hex>()
    expectTypeOf(requests.other).returns.resolves.toEqualTypeOf<unknown>()
    expect(Object.keys(requests)).toHaveLength(6)
  })

  test('types: a grant request\'s permissions are typed per permission type, and a wrong shape falls to unknown', () => {
    const provider = withSessionKeys(scriptedProvider())
    const address = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
    const permissions: PermissionRequest[] = [
      { type: 'contract-call', data: { address, calls: ['mint(address)'] }, policies: [{ type: { custom: 'call-limit' }, data: { count: 3 } }] },
      { type: 'native-token-transfer', data: { allowance: '0x2386f26fc10000', ticker: 'ETH' } },
      { type: 'erc20-token-transfer', data: { address }, policies: [{ type: 'token-allowance', data: { allowance: 10n ** 20n } }] },
      { type: { custom: 'session-note' }, data: 'kept, never enforced', required: false },
    ]
    const typed = () => provider.request({ method: 'wallet_grantPermissions', params: [{ expiry: 3600, permissions }] })
    expectTypeOf(typed).returns.resolves.toEqualTypeOf<GrantAnswer2024>()
    // @ts-expect-error an erc20-token-transfer names its token in data.address
    const noToken: PermissionRequest = { type: 'erc20-token-transfer', data: { allowance: '0x1' } }
    // @ts-expect-error a contract-call's calls are signatures or selectors
    const badCalls: PermissionRequest = { type: 'contract-call', data: { address, calls: [42] } }
    // @ts-expect-error a token-allowance caps an amount, under data.allowance
    const badPolicy: PermissionRequest = { type: 'native-token-transfer', policies: [{ type: 'token-allowance', data: { limit: '0x1' } }] }
    // A request whose permissions are not of these types is not a typed grant: its answer is unknown.
    const untyped = () => provider.request({ method: 'wallet_grantPermissions', params: [{ expiry: 3600, permissions: [{ type: 'contract-call', data: { address: 42 } }] }] })
    expectTypeOf(untyped).returns.resolves.toEqualTypeOf<unknown>()
    expect([noToken, badCalls, badPolicy].map((p) => p.type)).toStrictEqual(['erc20-token-transfer', 'contract-call', 'native-token-transfer'])
  })

  test('types: an error\'s reasons are ScopeReasons, one per call', () => {
    expectTypeOf<NonNullable<KeyleashErrorData['reasons']>>().toEqualTypeOf<readonly (ScopeReason | null)[]>()
  })
})
