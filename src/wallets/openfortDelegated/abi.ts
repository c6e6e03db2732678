import { type Address, type Hex, encodeAbiParameters, keccak256 } from 'viem'

// The key manager of Openfort's Delegated Account (openfort-7702-account: IKey.KeyDataReg,
// IKeysManager, KeysManagerLib), as keyleash calls it: the functions and structs it encodes, by
// the facts of the published Solidity (the development model in contracts/OpenfortAccounts.sol
// declares the same).

const keyDataReg = [
  { name: 'keyType', type: 'uint8' },
  { name: 'validUntil', type: 'uint48' },
  { name: 'validAfter', type: 'uint48' },
  { name: 'limits', type: 'uint48' },
  { name: 'key', type: 'bytes' },
  { name: 'keyControl', type: 'uint8' },
] as const

const keyData = [
  { name: 'keyType', type: 'uint8' },
  { name: 'isActive', type: 'bool' },
  { name: 'masterKey', type: 'bool' },
  { name: 'isDelegatedControl', type: 'bool' },
  { name: 'validUntil', type: 'uint48' },
  { name: 'validAfter', type: 'uint48' },
  { name: 'limits', type: 'uint48' },
  { name: 'key', type: 'bytes' },
] as const

const keyId = { name: 'keyId', type: 'bytes32' } as const

/**
 * The Delegated Account's key registration (`registerKey`, `setCanCall`, `setTokenSpend`,
 * `revokeKey`), its ERC-7821 `execute` that runs them as one owner call, and the reads of what it
 * holds for a key.
 *
 * @example
 * encodeFunctionData({ abi: delegatedKeysAbi, functionName: 'revokeKey', args: [delegatedKeyId(key)] })
 */
export const delegatedKeysAbi = [
  { type: 'function', name: 'registerKey', stateMutability: 'nonpayable', inputs: [{ name: 'keyData', type: 'tuple', components: keyDataReg }], outputs: [] },
  {
    type: 'function',
    name: 'setCanCall',
    stateMutability: 'nonpayable',
    inputs: [keyId, { name: 'target', type: 'address' }, { name: 'funSel', type: 'bytes4' }, { name: 'can', type: 'bool' }],
    outputs: [],
  },
  {
    type: 'function',
    name: 'setTokenSpend',
    stateMutability: 'nonpayable',
    inputs: [keyId, { name: 'token', type: 'address' }, { name: 'limit', type: 'uint256' }, { name: 'period', type: 'uint8' }],
    outputs: [],
  },
  { type: 'function', name: 'revokeKey', stateMutability: 'nonpayable', inputs: [keyId], outputs: [] },
  {
    type: 'function',
    name: 'execute',
    stateMutability: 'payable',
    inputs: [{ name: 'mode', type: 'bytes32' }, { name: 'executionData', type: 'bytes' }],
    outputs: [],
  },
  { type: 'function', name: 'getKey', stateMutability: 'view', inputs: [keyId], outputs: [{ name: '', type: 'tuple', components: keyData }] },
  {
    type: 'function',
    name: 'hasCanCall',
    stateMutability: 'view',
    inputs: [keyId, { name: 'target', type: 'address' }, { name: 'funSel', type: 'bytes4' }],
    outputs: [{ name: '', type: 'bool' }],
  },
  { type: 'function', name: 'canExecuteLength', stateMutability: 'view', inputs: [keyId], outputs: [{ name: '', type: 'uint256' }] },
  { type: 'function', name: 'spendTokens', stateMutability: 'view', inputs: [keyId], outputs: [{ name: '', type: 'address[]' }] },
  {
    type: 'function',
    name: 'tokenSpend',
    stateMutability: 'view',
    inputs: [keyId, { name: 'token', type: 'address' }],
    outputs: [
      { name: 'period', type: 'uint8' },
      { name: 'limit', type: 'uint256' },
      { name: 'spent', type: 'uint256' },
      { name: 'lastUpdated', type: 'uint256' },
    ],
  },
] as const

/**
 * The Delegated Account's sentinels: any target and any function in a `setCanCall` pair, the
 * function of a call with no calldata (a plain transfer), ETH in a spend rule; ERC-7821's flat
 * batch mode for `execute`; `SpendPeriod.Forever` (a rule over the key's whole life).
 *
 * @example
 * encodeFunctionData({ abi: delegatedKeysAbi, functionName: 'setCanCall', args: [id, delegated.anyTarget, delegated.plainTransfer, true] })
 */
export const delegated = {
  anyTarget: '0x3232323232323232323232323232323232323232',
  anyFunction: '0x32323232',
  plainTransfer: '0xe0e0e0e0',
  nativeToken: '0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE',
  flatBatch: `0x01${'0'.repeat(62)}`,
  spendForever: 6,
} as const satisfies Record<string, Address | Hex | number>

/**
 * The key an EOA session key is registered as: `abi.encode(address)`.
 *
 * @example
 * delegatedKey('0x1111111111111111111111111111111111111111') // 0x000…1111
 */
export function delegatedKey(address: Address): Hex {
  return encodeAbiParameters([{ type: 'address' }], [address])
}

/**
 * Where the account files an EOA key: `keccak256(abi.encode(uint8 keyType, keccak256(key)))`
 * with keyType EOA (0).
 *
 * @example
 * const id = delegatedKeyId(sessionKeyAddress)
 */
export function delegatedKeyId(address: Address): Hex {
  return keccak256(encodeAbiParameters([{ type: 'uint8' }, { type: 'bytes32' }], [0, keccak256(delegatedKey(address))]))
}
