import type { Address } from 'viem'
import { describe, expect, test } from 'vitest'
import { allowList } from '../../src/permissions/allowList.js'
import { maxPermissions, resolveGrant, type GrantDraft } from '../../src/permissions/grantRequest.js'
import { withSessionKeys } from '../../src/provider.js'
import type { ContractCallPermissionRequest } from '../../src/rpcSchema.js'
import { executionPermissionRequests } from '../../src/permissions/dialects/index.js'
import { rejection, rejectionOf } from '../utils/rejection.js'
import { scriptedWallet } from '../utils/scriptedWallet.js'
import { account, nft, now, token } from './dialects/fixtures.js'

const other: Address = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'
const draft: GrantDraft = {
  path: '',
  chainId: undefined,
  account: undefined,
  signer: undefined,
  expiry: now + 60,
  permissions: [{ type: 'contract-call', target: nft, selectors: ['0x6a627842'] }],
  policies: [],
}
const wallet = { chainId: 31337, accounts: [account, other] } as const

describe('resolveGrant', () => {
  test('default: chain and account are filled in from the wallet', () => {
    expect(resolveGrant(draft, wallet, undefined)).toStrictEqual({ chainId: 31337, account, signer: undefined, expiry: now + 60, permissions: draft.permissions, policies: [] })
  })
  test('behavior: a named account of the wallet is kept, in any case', () => {
    expect(resolveGrant({ ...draft, account: other.toLowerCase() as `0x${string}` }, wallet, undefined).account).toBe(other.toLowerCase())
  })
  test('error: a chain that is not the wallet\'s', () => {
    expect(rejection(() => resolveGrant({ ...draft, chainId: 1 }, wallet, undefined))).toStrictEqual({
      code: -32602,
      message: "chainId: 1 is not the wallet's chain (31337); switch the wallet's chain first",
    })
  })
  test('error: an account that is not the wallet\'s', () => {
    expect(rejection(() => resolveGrant({ ...draft, path: '[2].', account: nft }, wallet, undefined))).toStrictEqual({
      code: -32602,
      message: `[2].address: ${nft} is not an account of this wallet`,
    })
  })
  test('error: no connected account is 4100', () => {
    expect(rejection(() => resolveGrant(draft, { chainId: 31337, accounts: [] }, undefined)).code).toBe(4100)
  })
  test('error: a session key may never call the account itself', () => {
    const self = { ...draft, permissions: [...draft.permissions, { type: 'contract-call' as const, target: account, selectors: 'any' as const }] }
    expect(rejection(() => resolveGrant(self, wallet, undefined)).message).toBe('permissions[1].data.address: is the account itself; a session key may never call its own account')
  })
})

describe('the app\'s allow-list', () => {
  const allow = allowList([{ target: nft, selectors: ['mint(address)'] }, { target: token }])
  test('default: a grant within the allow-list passes', () => {
    expect(resolveGrant(draft, wallet, allow).permissions).toBe(draft.permissions)
    expect(resolveGrant({ ...draft, permissions: [{ type: 'erc20-transfer', token, allowance: 5n }] }, wallet, allow).permissions).toHaveLength(1)
  })
  test.each([
    [{ type: 'contract-call', target: other, selectors: 'any' }, `permissions[0]: ${other} is outside this app's allow-list`],
    [{ type: 'contract-call', target: nft, selectors: 'any' }, `permissions[0]: every function of ${nft} is wider than this app's allow-list`],
    [{ type: 'contract-call', target: nft, selectors: ['0x42966c68'] }, `permissions[0]: function 0x42966c68 of ${nft} is outside this app's allow-list`],
    [{ type: 'native-transfer', allowance: 1n }, "permissions[0]: native transfers are outside this app's allow-list"],
    [{ type: 'custom', name: 'erc20-token-periodic', data: { tokenAddress: token }, required: false }, `permissions[0]: "erc20-token-periodic" is a permission type outside this app's allow-list`],
  ] as const)('error: a wider grant is refused with 4100 before the wallet sees it (%o)', (permission, message) => {
    expect(rejection(() => resolveGrant({ ...draft, permissions: [permission] }, wallet, allow))).toStrictEqual({ code: 4100, message })
  })
})

describe('the size of a grant', () => {
  const many = (n: number): ContractCallPermissionRequest[] =>
    Array.from({ length: n }, (_, i) => ({ type: 'contract-call', data: { address: `0x${(i + 1).toString(16).padStart(40, '0')}` } }))

  test('error: 16,000 permissions are refused fast (-32602 naming permissions), before the wallet sees them', async () => {
    const inner = scriptedWallet('erc7715')
    const provider = withSessionKeys(inner, { now: () => now })
    const started = performance.now()
    const error = await rejectionOf(provider.request({ method: 'wallet_grantPermissions', params: [{ expiry: 3600, permissions: many(16_000) }] }))
    expect(performance.now() - started).toBeLessThan(500)
    expect(error).toMatchObject({ code: -32602, message: `permissions: holds 16000 entries; at most ${maxPermissions} per grant` })
    expect(inner.paramsOf('wallet_grantPermissions')).toHaveLength(0)
  })

  test('error: 16,000 grant requests in one call are refused alike (-32602 naming params)', async () => {
    const provider = withSessionKeys(scriptedWallet('erc7715'), { now: () => now, requests: [executionPermissionRequests] })
    const request = { chainId: '0x7a69', to: account, permission: { type: 'contract-call', data: { address: nft } }, rules: [{ type: 'expiry', data: { timestamp: now + 60 } }] }
    const error = await rejectionOf(provider.request({ method: 'wallet_requestExecutionPermissions', params: Array(16_000).fill(request) }))
    expect(error).toMatchObject({ code: -32602, message: `params: holds 16000 entries; at most ${maxPermissions} per grant` })
  })

  test(`behavior: ${maxPermissions} permissions, the cap, are granted`, async () => {
    const provider = withSessionKeys(scriptedWallet('erc7715'), { now: () => now })
    const answer = await provider.request({ method: 'wallet_grantPermissions', params: [{ expiry: 3600, permissions: many(maxPermissions) }] })
    expect(answer.grantedPermissions).toHaveLength(maxPermissions)
  })
})
