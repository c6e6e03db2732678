import { type Address, createPublicClient, createWalletClient, custom, http, toHex } from 'viem'
import { anvil } from 'viem/chains'
import type { DevThirdweb } from '../../src/devwallet/thirdweb/index.js'
import { thirdwebAccountAbi } from '../../src/devwallet/thirdweb/index.js'

/**
 * The owner gives `signer` a session on the thirdweb account the way thirdweb's SDK does: a
 * `SignerPermissionRequest` signed as EIP-712 typed data, then `setPermissionsForSigner`, both
 * through the owner's wallet. For tests of what runs under a session the account holds.
 *
 * @example
 * await setSignerPermissions(rpcUrl, wallet, key, { targets: [nft], nativeLimit: 0n, end: now + 3600n })
 */
export async function setSignerPermissions(rpcUrl: string, wallet: DevThirdweb, signer: Address, permissions: { targets: readonly Address[]; nativeLimit: bigint; end: bigint; start?: bigint }): Promise<void> {
  const owner = createWalletClient({ account: wallet.owner, chain: anvil, transport: custom(wallet.provider) })
  const publicClient = createPublicClient({ chain: anvil, transport: http(rpcUrl) })
  const { timestamp } = await publicClient.getBlock()
  const request = {
    signer,
    isAdmin: 0,
    approvedTargets: permissions.targets,
    nativeTokenLimitPerTransaction: permissions.nativeLimit,
    permissionStartTimestamp: permissions.start ?? 0n,
    permissionEndTimestamp: permissions.end,
    reqValidityStartTimestamp: 0n,
    reqValidityEndTimestamp: timestamp + 600n,
    uid: toHex(crypto.getRandomValues(new Uint8Array(32))),
  } as const
  const signature = await owner.signTypedData({
    domain: { name: 'Account', version: '1', chainId: anvil.id, verifyingContract: wallet.account },
    types: {
      SignerPermissionRequest: [
        { name: 'signer', type: 'address' },
        { name: 'isAdmin', type: 'uint8' },
        { name: 'approvedTargets', type: 'address[]' },
        { name: 'nativeTokenLimitPerTransaction', type: 'uint256' },
        { name: 'permissionStartTimestamp', type: 'uint128' },
        { name: 'permissionEndTimestamp', type: 'uint128' },
        { name: 'reqValidityStartTimestamp', type: 'uint128' },
        { name: 'reqValidityEndTimestamp', type: 'uint128' },
        { name: 'uid', type: 'bytes32' },
      ],
    },
    primaryType: 'SignerPermissionRequest',
    message: request,
  })
  const hash = await owner.writeContract({ address: wallet.account, abi: thirdwebAccountAbi, functionName: 'setPermissionsForSigner', args: [request, signature] })
  const receipt = await publicClient.waitForTransactionReceipt({ hash })
  if (receipt.status !== 'success') throw new Error(`setPermissionsForSigner reverted (${hash})`)
}
