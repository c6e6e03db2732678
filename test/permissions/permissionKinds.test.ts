import { type Address, numberToHex } from 'viem'
import { describe, expect, test } from 'vitest'
import { checkScope } from '../../src/permissions/scope.js'
import type { Permission } from '../../src/permissions/types.js'
import { withSessionKeys } from '../../src/provider.js'
import { executionPermissionRequests } from '../../src/permissions/dialects/index.js'
import { memoryStore } from '../../src/sessions/memoryStore.js'
import { advancedPermissions, executionPermissions } from '../../src/wallets.js'
import { rejectionOf } from '../utils/rejection.js'
import { accounts, sessionFixture } from '../utils/sessionFixture.js'
import { account, chainId, now, scriptedWallet, token } from '../utils/scriptedWallet.js'

/*
 * MetaMask's Advanced Permissions are read and checked by code its wallet dialect brings
 * (`executionPermissions.permissionKinds`), out of the core bundle. A provider or a check without
 * it fails closed: it never grants, keeps or signs under a permission it cannot check.
 */

const shop: Address = '0x00000000000000000000000000000000000005a0'
const periodic = { type: 'native-token-periodic', isAdjustmentAllowed: false, data: { periodAmount: '0x64', periodDuration: 86_400, startTime: now } }
const request = (permission: object, rules: object[] = []) => ({
  method: 'wallet_requestExecutionPermissions',
  params: [{ chainId: numberToHex(chainId), from: account, permission, rules: [{ type: 'expiry', data: { timestamp: now + 3600 } }, ...rules] }],
})

describe('a request for MetaMask permissions, without its dialect', () => {
  test('error: a MetaMask type is -32602 naming the field and the wallet option; nothing reaches the wallet', async () => {
    const inner = scriptedWallet('erc7715')
    const provider = withSessionKeys(inner, { now: () => now, requests: [executionPermissionRequests] })
    expect(await rejectionOf(provider.request(request(periodic)))).toMatchInlineSnapshot(`
      {
        "code": -32602,
        "data": {
          "field": "[0].permission.type",
          "hint": "make the provider with wallet: executionPermissions from keyleash/wallets (MetaMask's dialect, which brings them)",
        },
        "message": "[0].permission.type: "native-token-periodic" is one of MetaMask's Advanced Permissions, which keyleash reads only for a wallet that grants them",
      }
    `)
    // The June 2024 shape too, and `required: false` does not let it through as a custom permission.
    const viemShape = { method: 'wallet_grantPermissions', params: [{ expiry: now + 3600, permissions: [{ ...periodic, required: false }] }] }
    expect(await rejectionOf(provider.request(viemShape))).toMatchObject({ code: -32602, message: expect.stringMatching(/^permissions\[0\]\.type: "native-token-periodic" is one of MetaMask's/) })
    expect(inner.paramsOf('wallet_grantPermissions')).toStrictEqual([])
  })
  test("error: a redeemer or payee rule is -32602 naming the rule and the wallet option", async () => {
    const provider = withSessionKeys(scriptedWallet('erc7715'), { now: () => now, requests: [executionPermissionRequests] })
    const call = { type: 'contract-call', data: { address: token, calls: ['transfer(address,uint256)'] } }
    expect(await rejectionOf(provider.request(request(call, [{ type: 'payee', data: { addresses: [shop] } }])))).toMatchInlineSnapshot(`
      {
        "code": -32602,
        "data": {
          "field": "[0].rules[1].type",
          "hint": "redeemer and payee are MetaMask's rules: make the provider with wallet: executionPermissions from keyleash/wallets",
        },
        "message": "[0].rules[1].type: "payee" is not a rule keyleash can enforce here; use expiry",
      }
    `)
  })
  test('default: the same request is granted by a provider made with executionPermissions', async () => {
    const provider = withSessionKeys(scriptedWallet('execution-permissions'), { wallet: executionPermissions, now: () => now })
    const [granted] = (await provider.request(request(periodic, [{ type: 'payee', data: { addresses: [shop] } }]))) as { permission: unknown; rules: unknown }[]
    expect(granted).toMatchObject({ permission: periodic, rules: [{ type: 'expiry' }, { type: 'payee', data: { addresses: [shop] } }] })
  })
})

describe('a stored MetaMask session, checked without its dialect', () => {
  const permission: Permission = { type: 'spend', token: 'native', limit: { kind: 'periodic', periodAmount: 100n, periodDuration: 86_400, startTime: now } }
  const session = sessionFixture({ chainId, keyAddress: accounts[1], policies: [], permissions: [permission], expiry: now + 3600 })
  const calls = [{ to: shop, value: 1n }]

  test('error: checkScope refuses every call with unchecked-permissions; given advancedPermissions, it checks them', () => {
    expect(checkScope(session, calls, { chainId, now, canSign: true })).toMatchInlineSnapshot(`
      {
        "allowed": false,
        "reasons": [
          {
            "call": 0,
            "message": "session 0xc0ffee holds MetaMask permissions (spend) that this check cannot read; make the provider with wallet: executionPermissions, or pass permissionKinds: advancedPermissions to checkScope (both from keyleash/wallets)",
            "permissions": [
              "spend",
            ],
            "reason": "unchecked-permissions",
            "session": "0xc0ffee",
          },
        ],
      }
    `)
    expect(checkScope(session, calls, { chainId, now, canSign: true, permissionKinds: advancedPermissions })).toMatchObject({ allowed: true, usage: { spends: { 0: { period: 0, spent: 1n } } } })
  })
  test('error: a provider without executionPermissions sharing the store refuses to check or send under it (4100, the reason), and spends nothing', async () => {
    const store = memoryStore()
    const metamask = withSessionKeys(scriptedWallet('execution-permissions'), { wallet: executionPermissions, store, now: () => now })
    const [granted] = (await metamask.request(request(periodic))) as { context: string }[]
    const other = withSessionKeys(scriptedWallet('erc7715'), { store, now: () => now })
    const transfer = [{ to: shop, value: 1n }]
    expect(await metamask.sessions.check(granted!.context, transfer)).toMatchObject({ allowed: true })
    expect(await other.sessions.check(granted!.context, transfer)).toMatchObject({ allowed: false, reasons: [{ reason: 'unchecked-permissions', permissions: ['spend'] }] })
    const send = other.request({
      method: 'wallet_sendCalls',
      params: [{ version: '2.0.0', chainId: numberToHex(chainId), atomicRequired: true, calls: [{ to: shop, value: '0x1' }], capabilities: { permissions: { context: granted!.context } } }],
    })
    expect(await rejectionOf(send)).toMatchObject({ code: 4100, data: { reasons: [{ call: 0, reason: 'unchecked-permissions', session: granted!.context }] } })
    expect((await store.get(granted!.context))?.usage).toStrictEqual({ calls: 0, native: 0n, spent: {} })
  })
  test('error: answering the app with such a session needs the dialect too (never a guessed wire form)', async () => {
    const store = memoryStore()
    const metamask = withSessionKeys(scriptedWallet('execution-permissions'), { wallet: executionPermissions, store, now: () => now })
    await metamask.request(request(periodic))
    const other = withSessionKeys(scriptedWallet('erc7715'), { store, now: () => now, requests: [executionPermissionRequests] })
    expect(await metamask.request({ method: 'wallet_getGrantedExecutionPermissions' })).toMatchObject([{ permission: { type: 'native-token-periodic' } }])
    expect(await rejectionOf(other.request({ method: 'wallet_getGrantedExecutionPermissions' }))).toMatchObject({
      code: -32603,
      message: "a spend permission is one of MetaMask's, which this provider cannot write; make it with wallet: executionPermissions from keyleash/wallets",
    })
  })
})
