// The key manager of keyleash's Delegated Account model (contracts/OpenfortAccounts.sol), as its
// Solidity declares it: the owner's self-call that registers or revokes a session key, and the
// read of what the account holds for a key.

const keyRegistration = [
  { name: 'keyType', type: 'uint8' },
  { name: 'eoa', type: 'address' },
  { name: 'x', type: 'bytes32' },
  { name: 'y', type: 'bytes32' },
  { name: 'validAfter', type: 'uint48' },
  { name: 'validUntil', type: 'uint48' },
  { name: 'limit', type: 'uint48' },
  { name: 'whitelist', type: 'address[]' },
  { name: 'allowedSelectors', type: 'bytes4[]' },
  { name: 'ethLimit', type: 'uint256' },
  { name: 'spendToken', type: 'address' },
  { name: 'spendLimit', type: 'uint256' },
] as const

const keyData = [
  { name: 'keyType', type: 'uint8' },
  { name: 'active', type: 'bool' },
  { name: 'master', type: 'bool' },
  { name: 'validAfter', type: 'uint48' },
  { name: 'validUntil', type: 'uint48' },
  { name: 'limit', type: 'uint48' },
  { name: 'epoch', type: 'uint64' },
  { name: 'x', type: 'bytes32' },
  { name: 'y', type: 'bytes32' },
  { name: 'ethLimit', type: 'uint256' },
  { name: 'spendToken', type: 'address' },
  { name: 'spendLimit', type: 'uint256' },
  { name: 'allowedSelectors', type: 'bytes4[]' },
] as const

/** `registerKey`, `revokeKey` and `getKey` of the Delegated Account's key manager. */
export const delegatedKeysAbi = [
  {
    type: 'function',
    name: 'registerKey',
    stateMutability: 'nonpayable',
    inputs: [{ name: 'reg', type: 'tuple', components: keyRegistration }],
    outputs: [],
  },
  { type: 'function', name: 'revokeKey', stateMutability: 'nonpayable', inputs: [{ name: 'key', type: 'address' }], outputs: [] },
  {
    type: 'function',
    name: 'getKey',
    stateMutability: 'view',
    inputs: [{ name: 'key', type: 'address' }],
    outputs: [{ name: '', type: 'tuple', components: keyData }],
  },
] as const
