// thirdweb's `Account` (@thirdweb-dev/contracts 3.15, `AccountPermissions`): the calls that set,
// read and check a session key, as its Solidity declares them.

const signerPermissionRequest = [
  { name: 'signer', type: 'address' },
  { name: 'isAdmin', type: 'uint8' },
  { name: 'approvedTargets', type: 'address[]' },
  { name: 'nativeTokenLimitPerTransaction', type: 'uint256' },
  { name: 'permissionStartTimestamp', type: 'uint128' },
  { name: 'permissionEndTimestamp', type: 'uint128' },
  { name: 'reqValidityStartTimestamp', type: 'uint128' },
  { name: 'reqValidityEndTimestamp', type: 'uint128' },
  { name: 'uid', type: 'bytes32' },
] as const

/**
 * `setPermissionsForSigner`, `getPermissionsForSigner`, `isAdmin` of thirdweb's account.
 *
 * @example
 * await reader.readContract({ address: account, abi: accountPermissionsAbi, functionName: 'getPermissionsForSigner', args: [key] })
 */
export const accountPermissionsAbi = [
  {
    type: 'function',
    name: 'setPermissionsForSigner',
    stateMutability: 'nonpayable',
    inputs: [
      // Not spread: an object spread keeps the whole ABI in bundles that never use it.
      { name: '_req', type: 'tuple', components: signerPermissionRequest },
      { name: '_signature', type: 'bytes' },
    ],
    outputs: [],
  },
  {
    type: 'function',
    name: 'getPermissionsForSigner',
    stateMutability: 'view',
    inputs: [{ name: 'signer', type: 'address' }],
    outputs: [
      {
        name: 'permissions',
        type: 'tuple',
        components: [
          { name: 'signer', type: 'address' },
          { name: 'approvedTargets', type: 'address[]' },
          { name: 'nativeTokenLimitPerTransaction', type: 'uint256' },
          { name: 'startTimestamp', type: 'uint128' },
          { name: 'endTimestamp', type: 'uint128' },
        ],
      },
    ],
  },
  { type: 'function', name: 'isAdmin', stateMutability: 'view', inputs: [{ name: '_account', type: 'address' }], outputs: [{ name: '', type: 'bool' }] },
] as const

/**
 * The EIP-712 type the account recovers an admin from (`AccountPermissions.TYPEHASH`).
 *
 * @example
 * serializeTypedData({ domain, types: { EIP712Domain, ...signerPermissionRequestTypes }, primaryType: 'SignerPermissionRequest', message: request })
 */
export const signerPermissionRequestTypes = {
  SignerPermissionRequest: signerPermissionRequest,
} as const
