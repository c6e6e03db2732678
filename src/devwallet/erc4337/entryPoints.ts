import { type Address, type Hex, type PublicClient, concat, getContractAddress, zeroHash } from 'viem'
import { entryPoint06Address, entryPoint07Address } from 'viem/account-abstraction'
import type { DeployerClient } from '../contracts.js'
import { entryPoint06Bytecode, entryPoint07Bytecode } from './artifacts.js'

// The CREATE2 deployer every EVM dev chain (anvil included) has at this address: the
// EntryPoints were deployed through it on every public chain.
const create2Deployer: Address = '0x4e59b44847b379578588920ca78fbf26c0b4956c'

// The salts eth-infinitism deployed with: with the published creation code they give the canonical addresses.
const entryPoints = [
  { version: '0.6', address: entryPoint06Address, salt: zeroHash, bytecode: entryPoint06Bytecode },
  { version: '0.7', address: entryPoint07Address, salt: '0x90d8084deab30c2a37c45e8d47f49f2f7965183cb6990a98943ef94940681de3', bytecode: entryPoint07Bytecode },
] as const satisfies readonly { version: string; address: Address; salt: Hex; bytecode: Hex }[]

/**
 * Deploys ERC-4337's EntryPoint v0.6 and v0.7 (eth-infinitism's, from `@account-abstraction/contracts`)
 * at their canonical addresses through the chain's CREATE2 deployer, each unless it is there
 * already. For local development and tests.
 *
 * @example
 * const { v06, v07 } = await deployEntryPoints(relayerClient, publicClient)
 * // v06 === entryPoint06Address, v07 === entryPoint07Address (viem/account-abstraction)
 */
export async function deployEntryPoints(walletClient: DeployerClient, publicClient: PublicClient): Promise<{ v06: Address; v07: Address }> {
  for (const { version, address, salt, bytecode } of entryPoints) {
    if (await publicClient.getCode({ address })) continue
    // The address is the creation code's: a different artifact would land elsewhere, so check before paying.
    const landing = getContractAddress({ opcode: 'CREATE2', from: create2Deployer, salt, bytecode })
    if (landing !== address) throw new Error(`EntryPoint v${version}: the creation code lands at ${landing}, not at ${address}; the artifact is not the published one (npm run contracts)`)
    const hash = await walletClient.sendTransaction({ to: create2Deployer, data: concat([salt, bytecode]), chain: walletClient.chain ?? null, account: walletClient.account, gas: 8_000_000n })
    const receipt = await publicClient.waitForTransactionReceipt({ hash })
    if (receipt.status !== 'success' || !(await publicClient.getCode({ address })))
      throw new Error(`EntryPoint v${version} was not deployed at ${address} (transaction ${hash}): has the chain a CREATE2 deployer at ${create2Deployer}?`)
  }
  return { v06: entryPoint06Address, v07: entryPoint07Address }
}
