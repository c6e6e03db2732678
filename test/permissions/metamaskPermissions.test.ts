import type {
  Erc20TokenAllowancePermission,
  Erc20TokenPeriodicPermission,
  Erc20TokenRevocationPermission,
  Erc20TokenStreamPermission,
  NativeTokenAllowancePermission,
  NativeTokenPeriodicPermission,
  NativeTokenStreamPermission,
  PermissionRequest,
  PermissionResponse,
  PermissionTypes,
  TokenApprovalRevocationPermission,
} from '@metamask/7715-permission-types'
import { describe, expect, expectTypeOf, test } from 'vitest'
import { type AdvancedPermissionType, advancedPermissionTypes } from '../../src/permissions/advancedTypes.js'
import type { ResolvedGrantRequest } from '../../src/permissions/dialects/types.js'
import { encodeRequest, executionPermissionRequests } from '../../src/permissions/dialects/executionPermissions.js'
import { narrowGrant } from '../../src/permissions/narrow.js'
import type { Grant, RevocationMethods } from '../../src/permissions/types.js'
import { advancedPermissions } from '../../src/wallets/advancedPermissions.js'
import { executionPermissions } from '../../src/wallets/executionPermissions.js'
import { account, now, rules, sessionKey, token } from './dialects/fixtures.js'

/*
 * MetaMask's eight permission types as the kit sends them, typed by `@metamask/7715-permission-types`:
 * a change of shape in MetaMask's package fails the type check here.
 */

const shop = '0x00000000000000000000000000000000000005a0'
const expiry = now + 86_400
const base = { chainId: '0x7a69', from: account, to: sessionKey } as const
const expiryRule = { type: 'expiry', data: { timestamp: expiry } }

const requests: { [type in PermissionTypes['type']]: PermissionRequest<Extract<PermissionTypes, { type: type }>> } = {
  'native-token-stream': { ...base, permission: { type: 'native-token-stream', isAdjustmentAllowed: false, data: { initialAmount: '0x1', maxAmount: '0x64', amountPerSecond: '0x2', startTime: now } } satisfies NativeTokenStreamPermission, rules: [expiryRule] },
  'native-token-periodic': { ...base, permission: { type: 'native-token-periodic', isAdjustmentAllowed: true, data: { periodAmount: '0x64', periodDuration: 86_400, startTime: now, justification: 'tips' } } satisfies NativeTokenPeriodicPermission, rules: [expiryRule, { type: 'payee', data: { addresses: [shop] } }] },
  'native-token-allowance': { ...base, permission: { type: 'native-token-allowance', isAdjustmentAllowed: false, data: { allowanceAmount: '0x3e8', startTime: now } } satisfies NativeTokenAllowancePermission, rules: [expiryRule, { type: 'redeemer', data: { addresses: [sessionKey] } }] },
  'erc20-token-stream': { ...base, permission: { type: 'erc20-token-stream', isAdjustmentAllowed: false, data: { tokenAddress: token, initialAmount: '0x0', maxAmount: '0x64', amountPerSecond: '0x1', startTime: now } } satisfies Erc20TokenStreamPermission, rules: [expiryRule] },
  'erc20-token-periodic': { ...base, permission: { type: 'erc20-token-periodic', isAdjustmentAllowed: false, data: { tokenAddress: token, periodAmount: '0x64', periodDuration: 3600, startTime: now } } satisfies Erc20TokenPeriodicPermission, rules: [expiryRule] },
  'erc20-token-allowance': { ...base, permission: { type: 'erc20-token-allowance', isAdjustmentAllowed: false, data: { tokenAddress: token, allowanceAmount: '0x64', startTime: now } } satisfies Erc20TokenAllowancePermission, rules: [expiryRule] },
  'erc20-token-revocation': { ...base, permission: { type: 'erc20-token-revocation', isAdjustmentAllowed: false, data: {} } satisfies Erc20TokenRevocationPermission, rules: [expiryRule] },
  'token-approval-revocation': {
    ...base,
    permission: {
      type: 'token-approval-revocation',
      isAdjustmentAllowed: false,
      data: { erc20Approve: true, erc721Approve: false, erc721SetApprovalForAll: true, permit2Approve: false, permit2Lockdown: true, permit2InvalidateNonces: false },
    } satisfies TokenApprovalRevocationPermission,
    rules: [expiryRule],
  },
}

function parse(request: unknown) {
  const [draft] = executionPermissionRequests.parse([request], rules, advancedPermissions)
  if (!draft) throw new Error('no draft')
  return draft
}

function resolved(request: unknown): ResolvedGrantRequest {
  const { path: _, ...draft } = parse(request)
  return { ...draft, chainId: 31_337, account, signer: draft.signer ?? { type: 'wallet' } }
}

describe('MetaMask\'s permission types', () => {
  test('types: the eight types and the revocation flags are MetaMask\'s own', () => {
    expectTypeOf<AdvancedPermissionType>().toEqualTypeOf<PermissionTypes['type']>()
    // Each way: MetaMask's flags are keyleash's, no more, no fewer.
    expectTypeOf<TokenApprovalRevocationPermission['data']>().toMatchTypeOf<RevocationMethods>()
    expectTypeOf<RevocationMethods>().toMatchTypeOf<TokenApprovalRevocationPermission['data']>()
    expect([...advancedPermissionTypes].sort()).toStrictEqual(Object.keys(requests).sort())
  })

  test.each(advancedPermissionTypes)('default: %s is read and forwarded with the same meaning, rules included', (type) => {
    const request = requests[type]
    const draft = resolved(request)
    const [permission] = draft.permissions
    expect(encodeRequest(draft, sessionKey, permission as never, advancedPermissions)).toStrictEqual(request)
    expect(executionPermissions.encode([draft], { now })).toStrictEqual([request])
  })

  test('behavior: into the model, limits as bigints and times as seconds', () => {
    expect(parse(requests['erc20-token-periodic']).permissions).toStrictEqual([{ type: 'spend', token, limit: { kind: 'periodic', periodAmount: 100n, periodDuration: 3600, startTime: now } }])
    expect(parse(requests['native-token-periodic']).permissions).toStrictEqual([
      { type: 'spend', token: 'native', limit: { kind: 'periodic', periodAmount: 100n, periodDuration: 86_400, startTime: now }, justification: 'tips', payees: [shop] },
    ])
    expect(parse(requests['erc20-token-revocation']).permissions).toStrictEqual([
      { type: 'revocation', kind: 'erc20', methods: { erc20Approve: true, erc721Approve: false, erc721SetApprovalForAll: false, permit2Approve: false, permit2Lockdown: false, permit2InvalidateNonces: false } },
    ])
  })

  test('behavior: what the kit leaves out is what MetaMask defaults it to: a stream from 0 to no maximum, the start the wallet\'s', () => {
    const request = { ...base, permission: { type: 'native-token-stream', isAdjustmentAllowed: true, data: { amountPerSecond: '0x5' } }, rules: [expiryRule] }
    expect(parse(request).permissions).toStrictEqual([{ type: 'spend', token: 'native', limit: { kind: 'stream', initialAmount: 0n, maxAmount: 2n ** 256n - 1n, amountPerSecond: 5n, startTime: undefined } }])
  })

  test('error: each field is checked, and the error names it', () => {
    const periodic = requests['erc20-token-periodic']
    const withData = (data: object) => ({ ...periodic, permission: { ...periodic.permission, data: { ...periodic.permission.data, ...data } } })
    expect(() => parse(withData({ periodAmount: 100 }))).toThrowErrorMatchingInlineSnapshot(`[InvalidParamsError: [0].permission.data.periodAmount: must be an amount as 0x-hex (at most 32 bytes), got 100]`)
    expect(() => parse(withData({ periodAmount: '0x0' }))).toThrowErrorMatchingInlineSnapshot(`[InvalidParamsError: [0].permission.data.periodAmount: must be positive, got 0x0]`)
    expect(() => parse(withData({ periodDuration: 0 }))).toThrowErrorMatchingInlineSnapshot(`[InvalidParamsError: [0].permission.data.periodDuration: must be a whole number of seconds from 1 to 315360000 (ten years), got 0]`)
    expect(() => parse(withData({ startTime: now * 1000 }))).toThrowErrorMatchingInlineSnapshot(`[InvalidParamsError: [0].permission.data.startTime: 1800000000000 looks like milliseconds; send UNIX seconds]`)
    expect(() => parse(withData({ tokenAddress: '0x1234' }))).toThrowErrorMatchingInlineSnapshot(`[InvalidParamsError: [0].permission.data.tokenAddress: "0x1234" is not an address (0x and 40 hex digits)]`)
    const stream = requests['erc20-token-stream']
    expect(() => parse({ ...stream, permission: { ...stream.permission, data: { ...stream.permission.data, initialAmount: '0x64' } } })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: [0].permission.data.maxAmount: must be greater than initialAmount (100), got 100]`,
    )
    const revocation = requests['token-approval-revocation']
    expect(() => parse({ ...revocation, permission: { ...revocation.permission, data: { ...revocation.permission.data, permit2Lockdown: 'yes' } } })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: [0].permission.data.permit2Lockdown: must be true or false, got "yes"]`,
    )
  })

  test('error: a rule the permission cannot keep is refused, naming it, never dropped', () => {
    const revocation = requests['erc20-token-revocation']
    expect(() => parse({ ...revocation, rules: [expiryRule, { type: 'payee', data: { addresses: [shop] } }] })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: [0].rules: a payee rule cannot be kept on a revocation permission; keyleash enforces it on MetaMask's token types only]`,
    )
    const call = { ...base, permission: { type: 'contract-call', isAdjustmentAllowed: true, data: { address: token, calls: [] } }, rules: [expiryRule, { type: 'redeemer', data: { addresses: [shop] } }] }
    expect(() => parse(call)).toThrowErrorMatchingInlineSnapshot(`[InvalidParamsError: [0].rules: a redeemer rule cannot be kept on a contract-call permission; keyleash enforces it on MetaMask's token types only]`)
    expect(() => parse({ ...call, rules: [expiryRule, expiryRule] })).toThrowErrorMatchingInlineSnapshot(`[InvalidParamsError: [0].rules[1].type: a second "expiry" rule; send one]`)
    expect(() => parse({ ...call, rules: [expiryRule, { type: 'payee', data: { addresses: [] } }] })).toThrowErrorMatchingInlineSnapshot(`[InvalidParamsError: [0].rules[1].data.addresses: must hold at least one address]`)
  })
})

describe('the wallet\'s answer', () => {
  const request = requests['erc20-token-periodic']
  const manager = '0xdb9B1e94B5b69Df7e401DDbedE43491141047dB3'
  const answer: PermissionResponse<Erc20TokenPeriodicPermission> = { ...request, context: '0xc0', dependencies: [], delegationManager: manager }

  test('default: read into a grant with its context, delegation manager and dependencies', () => {
    expect(executionPermissions.decode([answer], [resolved(request)], { now })).toStrictEqual([
      { context: '0xc0', expiry, permissions: parse(request).permissions, policies: [], walletData: { delegationManager: manager, dependencies: [] } },
    ])
  })

  test('error: an answer keyleash cannot keep throws, so the grant is revoked at the wallet', () => {
    const decode = (changed: object) => () => executionPermissions.decode([{ ...answer, ...changed }], [resolved(request)], { now })
    const { startTime: _, ...noStart } = request.permission.data
    expect(decode({ permission: { ...request.permission, data: noStart } })).toThrowErrorMatchingInlineSnapshot(
      `[InvalidParamsError: result[0].permission.data.startTime: the wallet did not say when the grant starts; keyleash cannot count what is left without it]`,
    )
    expect(decode({ delegationManager: undefined })).toThrowErrorMatchingInlineSnapshot(`[InvalidParamsError: result[0].delegationManager: nothing is not an address (0x and 40 hex digits)]`)
    expect(decode({ from: shop })).toThrowErrorMatchingInlineSnapshot(`[InvalidParamsError: result[0].from: the wallet granted from 0x00000000000000000000000000000000000005a0, not 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266]`)
    expect(decode({ to: shop })).toThrow(/the wallet granted to 0x0000000000000000000000000000000000000[0-9a-fA-F]+, not the session account/)
    expect(decode({ permission: requests['erc20-token-stream'].permission })).toThrowErrorMatchingInlineSnapshot(`[InvalidParamsError: result[0].permission.type: the wallet granted erc20-token-stream, not the erc20-token-periodic asked for]`)
    expect(decode({ rules: [expiryRule, { type: 'spending-cap', data: {} }] })).toThrowErrorMatchingInlineSnapshot(`[InvalidParamsError: result[0].rules[1].type: "spending-cap" is not a rule keyleash can enforce; use expiry, redeemer or payee]`)
  })
})

describe('what is kept of an adjusted grant', () => {
  const asked = resolved(requests['erc20-token-stream'])
  const grant = (data: object, rules: object[] = [expiryRule]) => {
    const request = requests['erc20-token-stream']
    const [decoded] = executionPermissions.decode([{ ...request, permission: { ...request.permission, data: { ...request.permission.data, ...data } }, rules, context: '0xc0', dependencies: [], delegationManager: token }], [asked], { now })
    return narrowGrant(asked, decoded as Grant, advancedPermissions).permissions
  }

  test('behavior: field by field, never more than asked: smaller amounts, the later start', () => {
    expect(grant({ maxAmount: '0x32', amountPerSecond: '0x5', startTime: now + 60 })).toStrictEqual([
      { type: 'spend', token, limit: { kind: 'stream', initialAmount: 0n, maxAmount: 50n, amountPerSecond: 1n, startTime: now + 60 } },
    ])
  })
  test('behavior: the rules asked for are kept even when the wallet drops them', () => {
    const withPayee = resolved({ ...requests['erc20-token-stream'], rules: [expiryRule, { type: 'payee', data: { addresses: [shop] } }] })
    const request = requests['erc20-token-stream']
    const [decoded] = executionPermissions.decode([{ ...request, context: '0xc0', dependencies: [], delegationManager: token }], [withPayee], { now })
    expect(narrowGrant(withPayee, decoded as Grant, advancedPermissions).permissions[0]).toMatchObject({ payees: [shop] })
  })
  test('behavior: payees both sides name are kept, and no other: a wallet that grants fewer than asked is not widened back', () => {
    const cafe = '0x00000000000000000000000000000000000005a1'
    const withPayees = resolved({ ...requests['erc20-token-stream'], rules: [expiryRule, { type: 'payee', data: { addresses: [shop, cafe] } }] })
    const request = requests['erc20-token-stream']
    const [decoded] = executionPermissions.decode([{ ...request, rules: [expiryRule, { type: 'payee', data: { addresses: [shop] } }], context: '0xc0', dependencies: [], delegationManager: token }], [withPayees], { now })
    expect(narrowGrant(withPayees, decoded as Grant, advancedPermissions).permissions[0]).toMatchObject({ payees: [shop] })
  })
})
