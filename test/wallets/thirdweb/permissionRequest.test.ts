import { createThirdwebClient, defineChain, encode, getContract } from 'thirdweb'
import { addSessionKey, removeSessionKey } from 'thirdweb/extensions/erc4337'
import type { Account } from 'thirdweb/wallets'
import { type Address, type Hex, type TypedDataDefinition, encodeFunctionData, hashTypedData, parseEther } from 'viem'
import { describe, expect, test } from 'vitest'
import type { ResolvedGrantRequest } from '../../../src/permissions/dialects/types.js'
import { accountPermissionsAbi } from '../../../src/wallets/thirdweb/abi.js'
import {
  type SignerPermissionRequest,
  grantsNativeValue,
  revokedSignerPermissions,
  signerPermissionRequest,
  signerPermissionTypedData,
  toSignerPermissions,
} from '../../../src/wallets/thirdweb/permissionRequest.js'
import { rejection } from '../../utils/rejection.js'

/*
 * thirdweb's own SDK (`thirdweb` v5: addSessionKey / removeSessionKey) is the oracle: what it
 * asks the owner to sign and the call it sends, for the same permissions, are what keyleash
 * builds. The SDK never reaches a network here: its owner is an account that records what it
 * is asked to sign.
 */

const account: Address = '0x1111111111111111111111111111111111111111'
const key: Address = '0x2222222222222222222222222222222222222222'
const nft: Address = '0x3333333333333333333333333333333333333333'
const token: Address = '0x4444444444444444444444444444444444444444'
const chainId = 31337
const signature: Hex = `0x${'ab'.repeat(65)}`

/** What thirdweb's SDK asks the owner to sign and the calldata it sends, for `build`'s transaction. */
async function sdk(build: (options: { contract: ReturnType<typeof getContract>; account: Account }) => Parameters<typeof encode>[0]) {
  const client = createThirdwebClient({ clientId: 'keyleash-test' })
  const contract = getContract({ client, chain: defineChain({ id: chainId, rpc: 'http://127.0.0.1:1' }), address: account })
  let signed: TypedDataDefinition | undefined
  const owner = {
    address: '0x5555555555555555555555555555555555555555',
    async signTypedData(typedData: TypedDataDefinition) {
      signed = typedData
      return signature
    },
  } as unknown as Account
  const calldata = await encode(build({ contract, account: owner }))
  if (!signed) throw new Error('the SDK asked for no signature')
  return { typedData: signed as TypedDataDefinition & { message: SignerPermissionRequest }, calldata }
}

const request = (overrides: Partial<ResolvedGrantRequest> = {}): ResolvedGrantRequest => ({
  chainId,
  account,
  signer: { type: 'account', address: key },
  expiry: 2_000_000_000,
  permissions: [{ type: 'contract-call', target: nft, selectors: ['0x6a627842'] }],
  policies: [],
  ...overrides,
})

describe("the owner's signature and the call, against thirdweb's SDK", () => {
  test('default: for the same permissions, keyleash asks the owner to sign the same typed data (hash) and sends the same setPermissionsForSigner calldata as addSessionKey', async () => {
    const ours = toSignerPermissions(request({ permissions: [{ type: 'contract-call', target: nft, selectors: 'any' }, { type: 'native-transfer', allowance: parseEther('0.5') }] }))
    const { typedData, calldata } = await sdk(({ contract, account: owner }) =>
      addSessionKey({
        contract,
        account: owner,
        sessionKeyAddress: key,
        permissions: { approvedTargets: [nft], nativeTokenLimitPerTransaction: 0.5, permissionStartTimestamp: new Date(0), permissionEndTimestamp: new Date(2_000_000_000_000) },
      }),
    )
    const { uid, reqValidityStartTimestamp, reqValidityEndTimestamp, isAdmin, ...theirs } = typedData.message
    expect(ours).toStrictEqual(theirs)
    expect(isAdmin).toBe(0)
    // The SDK's request (its uid and validity window) through keyleash's encoders.
    const signed = { ...ours, isAdmin: 0, reqValidityStartTimestamp, reqValidityEndTimestamp, uid } as const
    expect(hashTypedData(JSON.parse(signerPermissionTypedData(signed, account, chainId)))).toBe(hashTypedData(typedData))
    expect(encodeFunctionData({ abi: accountPermissionsAbi, functionName: 'setPermissionsForSigner', args: [signed, signature] })).toBe(calldata)
  })

  test("behavior: the revoke is what removeSessionKey sends: no targets, no value, a window that ended at 0", async () => {
    const { typedData } = await sdk(({ contract, account: owner }) => removeSessionKey({ contract, account: owner, sessionKeyAddress: key }))
    const { uid: _, reqValidityStartTimestamp: __, reqValidityEndTimestamp: ___, isAdmin: ____, ...theirs } = typedData.message
    expect(revokedSignerPermissions({ type: 'account', address: key })).toStrictEqual(theirs)
  })
})

describe('toSignerPermissions', () => {
  test('behavior: contract calls and ERC-20 transfers become targets (once each); the smallest native allowance is the per-call limit; the expiry ends the window', () => {
    const permissions = toSignerPermissions(
      request({
        permissions: [
          { type: 'contract-call', target: nft, selectors: 'any' },
          { type: 'erc20-transfer', token, allowance: 5n },
          { type: 'contract-call', target: token, selectors: ['0xa9059cbb'] },
          { type: 'native-transfer', allowance: 9n },
          { type: 'native-transfer', allowance: 7n },
        ],
        policies: [{ type: 'call-limit', count: 3 }],
      }),
    )
    expect(permissions).toStrictEqual({ signer: key, approvedTargets: [nft, token], nativeTokenLimitPerTransaction: 7n, permissionStartTimestamp: 0n, permissionEndTimestamp: 2_000_000_000n })
  })

  test.each([
    ['a spend permission', request({ permissions: [{ type: 'spend', token: 'native', limit: { kind: 'allowance', amount: 1n, startTime: 1 } }] }), 'permissions[0].type'],
    ['a custom permission', request({ permissions: [{ type: 'custom', name: 'x', data: {}, required: false }] }), 'permissions[0].type'],
    ['no target', request({ permissions: [{ type: 'native-transfer', allowance: 1n }] }), 'permissions'],
    ['the wildcard address', request({ permissions: [{ type: 'contract-call', target: '0x0000000000000000000000000000000000000000', selectors: 'any' }] }), 'permissions[0].data.address'],
    ['a gas limit', request({ policies: [{ type: 'gas-limit', limit: 1n }] }), 'policies[0]'],
    ['a P-256 key', request({ signer: { type: 'key', key: { keyType: 'secp256r1', publicKey: `0x04${'11'.repeat(64)}` } } }), 'signer'],
  ] as const)('error: %s is a -32602 naming its field', (_, asked, field) => {
    const error = rejection(() => toSignerPermissions(asked))
    expect(error.code).toBe(-32602)
    expect(error.message.startsWith(`${field}: `)).toBe(true)
  })

  test('behavior: value is the account\'s rule only when no value is granted', () => {
    expect(grantsNativeValue(request())).toBe(false)
    expect(grantsNativeValue(request({ permissions: [{ type: 'native-transfer', allowance: 0n }] }))).toBe(false)
    expect(grantsNativeValue(request({ permissions: [{ type: 'native-transfer', allowance: 1n }] }))).toBe(true)
  })

  test('behavior: each request to sign has its own uid and may be submitted for ten minutes from now', () => {
    const permissions = toSignerPermissions(request())
    const [a, b] = [signerPermissionRequest(permissions, 1_000), signerPermissionRequest(permissions, 1_000)]
    expect(a?.uid).not.toBe(b?.uid)
    expect(a).toMatchObject({ isAdmin: 0, reqValidityStartTimestamp: 0n, reqValidityEndTimestamp: 1_600n })
  })
})
