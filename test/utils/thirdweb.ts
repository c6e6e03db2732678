import { createThirdwebClient, defineChain, encode, getContract } from 'thirdweb'
import { addSessionKey } from 'thirdweb/extensions/erc4337'
import type { Account } from 'thirdweb/wallets'
import { type Address, createPublicClient, createWalletClient, custom, formatEther, http } from 'viem'
import { anvil } from 'viem/chains'
import { type DevChain, startDevChain } from '../../src/devwallet/chain.js'
import { type DevBundler, startBundler } from '../../src/devwallet/erc4337/bundler.js'
import type { Approve } from '../../src/devwallet/context.js'
import { type DevThirdweb, createDevThirdweb } from '../../src/devwallet/thirdweb/index.js'

/**
 * The owner gives `signer` a session on the thirdweb account with thirdweb's own SDK
 * (`addSessionKey`): its `SignerPermissionRequest`, signed as EIP-712 typed data by the owner's
 * wallet, sent by the owner as `setPermissionsForSigner`. For tests of what runs under a
 * session the account holds, set without keyleash's grant side.
 *
 * @example
 * await setSignerPermissions(rpcUrl, wallet, key, { targets: [nft], nativeLimit: 0n, end: now + 3600n })
 */
export async function setSignerPermissions(rpcUrl: string, wallet: DevThirdweb, signer: Address, permissions: { targets: readonly Address[]; nativeLimit: bigint; end: bigint; start?: bigint }): Promise<void> {
  const owner = createWalletClient({ account: wallet.owner, chain: anvil, transport: custom(wallet.provider) })
  const publicClient = createPublicClient({ chain: anvil, transport: http(rpcUrl) })
  const client = createThirdwebClient({ clientId: 'keyleash-test' })
  const contract = getContract({ client, chain: defineChain({ id: anvil.id, rpc: rpcUrl }), address: wallet.account })
  // thirdweb's Account for the owner: only the signature is asked of it here.
  const account = { address: wallet.owner, signTypedData: (typedData: Parameters<typeof owner.signTypedData>[0]) => owner.signTypedData(typedData) } as unknown as Account
  const data = await encode(
    addSessionKey({
      contract,
      account,
      sessionKeyAddress: signer,
      permissions: {
        approvedTargets: [...permissions.targets],
        nativeTokenLimitPerTransaction: formatEther(permissions.nativeLimit),
        permissionStartTimestamp: new Date(Number(permissions.start ?? 0n) * 1000),
        permissionEndTimestamp: new Date(Number(permissions.end) * 1000),
      },
    }),
  )
  const hash = await owner.sendTransaction({ to: wallet.account, data })
  const receipt = await publicClient.waitForTransactionReceipt({ hash })
  if (receipt.status !== 'success') throw new Error(`setPermissionsForSigner reverted (${hash})`)
}

/**
 * A chain of its own, alto on 127.0.0.1 and a development thirdweb wallet (alto keeps nonces
 * and a mempool that a snapshot revert would leave behind), for a test file's `beforeAll`.
 *
 * @example
 * const env = await thirdwebEnvironment()
 * // …
 * await env.stop()
 */
export async function thirdwebEnvironment(approve?: Approve): Promise<{ chain: DevChain; bundler: DevBundler; wallet: DevThirdweb; stop(): Promise<void> }> {
  const chain = await startDevChain()
  const bundler = await startBundler({ rpcUrl: chain.rpcUrl }).catch(async (error: unknown) => {
    await chain.stop()
    throw error
  })
  const wallet = await createDevThirdweb({ rpcUrl: chain.rpcUrl, approve })
  return {
    chain,
    bundler,
    wallet,
    async stop() {
      await bundler.stop()
      await chain.stop()
    },
  }
}
