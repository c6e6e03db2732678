import { type Address, type Hex, concat, decodeAbiParameters, decodeFunctionData, keccak256, maxUint48, pad, toFunctionSelector } from 'viem'
import { describe, expect, test } from 'vitest'
import { openfortDelegatedAccountAbi } from '../../../src/devwallet/artifacts.js'
import type { ResolvedGrantRequest } from '../../../src/permissions/dialects/types.js'
import type { Permission } from '../../../src/permissions/types.js'
import { delegated, delegatedKeyId, delegatedKeysAbi } from '../../../src/wallets/openfortDelegated/abi.js'
import { delegatedEnforces, delegatedKeyRegistration, delegatedRegistrationData } from '../../../src/wallets/openfortDelegated/keyRegistration.js'
import { rejection } from '../../utils/rejection.js'

const key: Address = '0x1111111111111111111111111111111111111111'
const nft: Address = '0x2222222222222222222222222222222222222222'
const token: Address = '0x3333333333333333333333333333333333333333'
const account: Address = '0x4444444444444444444444444444444444444444'
const mint = toFunctionSelector('function mint(address)')
const transfer = toFunctionSelector('function transfer(address,uint256)')
const now = 1_700_000_000

const request = (permissions: Permission[], policies: ResolvedGrantRequest['policies'] = []): ResolvedGrantRequest => ({
  chainId: 31337,
  account,
  signer: { type: 'account', address: key },
  expiry: now + 3600,
  permissions,
  policies,
})
const call = (target: Address, selectors: Hex[] | 'any'): Permission => ({ type: 'contract-call', target, selectors })

describe("the Delegated Account's key manager ABI, pinned to Openfort's published account", () => {
  // Signatures as openfort-xyz/openfort-7702-account declares them (src/interfaces/IKey.sol:
  // KeyDataReg { KeyType keyType; uint48 validUntil; uint48 validAfter; uint48 limits; bytes key;
  // KeyControl keyControl }, enums as uint8; src/interfaces/IKeysManager.sol and
  // src/core/KeysManager.sol: registerKey, setCanCall, setTokenSpend(…, SpendPeriod), revokeKey,
  // getKey, hasCanCall, canExecuteLength, spendTokens, tokenSpend; README.md at 8fd6545:
  // "Register additional keys via registerKey, then tailor permissions with setCanCall and
  // setTokenSpend"; src/core/OPF7702.sol: a key's calls go through execute(bytes32,bytes), 0xe9ae5c53).
  const published = [
    'registerKey((uint8,uint48,uint48,uint48,bytes,uint8))',
    'setCanCall(bytes32,address,bytes4,bool)',
    'setTokenSpend(bytes32,address,uint256,uint8)',
    'revokeKey(bytes32)',
    'execute(bytes32,bytes)',
    'getKey(bytes32)',
    'hasCanCall(bytes32,address,bytes4)',
    'canExecuteLength(bytes32)',
    'spendTokens(bytes32)',
    'tokenSpend(bytes32,address)',
  ]

  test('behavior: every function keyleash encodes or reads has the selector of the published signature, and the development model has it too', () => {
    const encoded = delegatedKeysAbi.map((item) => toFunctionSelector(item))
    expect(encoded).toStrictEqual(published.map((signature) => toFunctionSelector(`function ${signature}`)))
    expect(toFunctionSelector('function execute(bytes32,bytes)')).toBe('0xe9ae5c53')
    const model = new Set(openfortDelegatedAccountAbi.filter((item) => item.type === 'function').map((item) => toFunctionSelector(item)))
    for (const selector of encoded) expect(model.has(selector), selector).toBe(true)
  })

  test('behavior: getKey answers KeyData (keyType, isActive, masterKey, isDelegatedControl, validUntil, validAfter, limits, key), in the model too', () => {
    const types = (outputs: readonly { type: string; components?: readonly { type: string }[] }[]) => outputs[0]?.components?.map((c) => c.type)
    const layout = ['uint8', 'bool', 'bool', 'bool', 'uint48', 'uint48', 'uint48', 'bytes']
    expect(types(delegatedKeysAbi.find((item) => item.name === 'getKey')!.outputs)).toStrictEqual(layout)
    expect(types(openfortDelegatedAccountAbi.find((item) => item.type === 'function' && item.name === 'getKey')!.outputs as never)).toStrictEqual(layout)
  })

  test('behavior: an EOA key is filed at keccak256(abi.encode(uint8(EOA), keccak256(abi.encode(address)))) (KeysManagerLib.computeKeyId)', () => {
    expect(delegatedKeyId(key)).toBe(keccak256(concat([pad('0x00'), keccak256(pad(key))])))
  })
})

describe('delegatedKeyRegistration', () => {
  test('behavior: the key with its window and call limit (none: the uint48 maximum, never 0), a pair per function on a target, ETH and token limits for the key\'s life', () => {
    const registration = delegatedKeyRegistration(
      request([call(nft, [mint]), { type: 'native-transfer', allowance: 7n }, { type: 'native-transfer', allowance: 3n }, { type: 'erc20-transfer', token, allowance: 5n }]),
      now,
    )
    expect(registration).toStrictEqual({
      keyId: delegatedKeyId(key),
      keyData: { keyType: 0, validUntil: now + 3600, validAfter: now, limits: Number(maxUint48), key: pad(key), keyControl: 0 },
      canCall: [
        { target: nft, selector: mint },
        { target: delegated.anyTarget, selector: delegated.plainTransfer },
        { target: token, selector: transfer },
      ],
      spends: [
        { token: delegated.nativeToken, limit: 10n },
        { token, limit: 5n },
      ],
    })
    expect(delegatedKeyRegistration(request([call(nft, 'any')], [{ type: 'call-limit', count: 4 }]), now)).toMatchObject({
      keyData: { limits: 4 },
      canCall: [{ target: nft, selector: delegated.anyFunction }],
      // No ETH granted: a 1-wei rule, which admits no value (no plain-transfer pair to spend it on).
      spends: [{ token: delegated.nativeToken, limit: 1n }],
    })
    expect(delegatedKeyRegistration(request([{ type: 'native-transfer', allowance: 2n, payees: [token] }]), now).canCall).toStrictEqual([{ target: token, selector: delegated.plainTransfer }])
  })

  test('behavior: one owner call: execute(flat batch) of registerKey, then each setCanCall and setTokenSpend, all on the account itself', () => {
    const registration = delegatedKeyRegistration(request([call(nft, [mint]), { type: 'erc20-transfer', token, allowance: 5n }]), now)
    const { functionName, args } = decodeFunctionData({ abi: delegatedKeysAbi, data: delegatedRegistrationData(account, registration) })
    expect(functionName).toBe('execute')
    expect(args?.[0]).toBe(delegated.flatBatch)
    const [calls] = decodeAbiParameters([{ type: 'tuple[]', components: [{ name: 'target', type: 'address' }, { name: 'value', type: 'uint256' }, { name: 'data', type: 'bytes' }] }], args?.[1] as Hex)
    expect(calls.map((c) => c.target)).toStrictEqual(Array(5).fill(account))
    expect(calls.map((c) => decodeFunctionData({ abi: delegatedKeysAbi, data: c.data })).map(({ functionName, args }) => [functionName, ...(args ?? []).slice(1)])).toStrictEqual([
      ['registerKey'],
      ['setCanCall', nft, mint, true],
      ['setCanCall', token, transfer, true],
      ['setTokenSpend', token, 5n, 6],
      ['setTokenSpend', delegated.nativeToken, 1n, 6],
    ])
  })

  test.each([
    ['two native allowances with payees', [{ type: 'native-transfer', allowance: 1n, payees: [key] }, { type: 'native-transfer', allowance: 1n }], 'one ETH limit'],
    ['9 functions (11 calls)', [call(nft, Array.from({ length: 9 }, (_, i) => `0x${i.toString(16).padStart(8, '0')}` as Hex))], 'at most 9 calls'],
    ['no call to make', [call(nft, [])], 'needs at least one call to make'],
  ] as [string, Permission[], string][])('error: %s is refused (-32602) before the owner is asked', (_, permissions, message) => {
    const error = rejection(() => delegatedKeyRegistration(request(permissions), now))
    expect(error.code).toBe(-32602)
    expect(error.message).toContain(message)
  })

  test('error: a P-256 key signer is refused: the registration files an EOA key by its address', () => {
    const error = rejection(() => delegatedKeyRegistration({ ...request([call(nft, [mint])]), signer: { type: 'key', key: { keyType: 'secp256r1', publicKey: `0x04${'11'.repeat(64)}` } } }, now))
    expect(error.message).toContain('grant to an account signer')
  })
})

describe('delegatedEnforces', () => {
  test('behavior: targets and functions are the account\'s as pairs; value too, unless an ERC-20 allowance lets a call to the token carry ETH the account charges as tokens', () => {
    expect(delegatedEnforces(request([call(nft, [mint]), call(token, [transfer])]))).toStrictEqual(['target', 'selector', 'value', 'spend', 'call-limit', 'expiry'])
    expect(delegatedEnforces(request([call(nft, [mint]), { type: 'erc20-transfer', token, allowance: 1n }]))).toStrictEqual(['target', 'selector', 'spend', 'call-limit', 'expiry'])
  })
})
