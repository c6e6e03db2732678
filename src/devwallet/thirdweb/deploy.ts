import { type Address, type PublicClient, getAddress } from 'viem'
import type { DeployerClient } from '../contracts.js'
import { thirdwebAccountFactoryAbi, thirdwebAccountFactoryBytecode } from './artifacts.js'

/**
 * Deploys thirdweb's `AccountFactory` (compiled from `@thirdweb-dev/contracts`) on `entryPoint`;
 * its constructor deploys the `Account` implementation its accounts are clones of. For local
 * development and tests.
 *
 * @example
 * const factory = await deployThirdwebFactory(relayerClient, publicClient, entryPoint06Address)
 */
export async function deployThirdwebFactory(walletClient: DeployerClient, publicClient: PublicClient, entryPoint: Address): Promise<Address> {
  const hash = await walletClient.deployContract({
    abi: thirdwebAccountFactoryAbi,
    bytecode: thirdwebAccountFactoryBytecode,
    args: [walletClient.account.address, entryPoint],
    chain: walletClient.chain ?? null,
    account: walletClient.account,
  })
  const receipt = await publicClient.waitForTransactionReceipt({ hash })
  if (receipt.status !== 'success' || !receipt.contractAddress) throw new Error(`thirdweb's AccountFactory was not deployed (transaction ${hash})`)
  return getAddress(receipt.contractAddress)
}

/**
 * Creates the thirdweb account of `admin` (its owner) through `factory`, as thirdweb's SDK does
 * (`createAccount(admin, "0x")`), and answers its address. For local development and tests.
 *
 * @example
 * const account = await createThirdwebAccount(relayerClient, publicClient, factory, owner.address)
 */
export async function createThirdwebAccount(walletClient: DeployerClient, publicClient: PublicClient, factory: Address, admin: Address): Promise<Address> {
  const { request, result } = await publicClient.simulateContract({
    address: factory,
    abi: thirdwebAccountFactoryAbi,
    functionName: 'createAccount',
    args: [admin, '0x'],
    account: walletClient.account,
  })
  const hash = await walletClient.writeContract({ ...request, chain: walletClient.chain ?? null })
  if ((await publicClient.waitForTransactionReceipt({ hash })).status !== 'success') throw new Error(`thirdweb account of ${admin} was not created (transaction ${hash})`)
  return getAddress(result)
}
