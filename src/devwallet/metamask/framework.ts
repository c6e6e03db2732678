import { PREFERRED_VERSION, type SmartAccountsEnvironment } from '@metamask/smart-accounts-kit'
import { deploySmartAccountsEnvironment, overrideDeployedEnvironment } from '@metamask/smart-accounts-kit/utils'
import type { Account, Chain, PublicClient, Transport, WalletClient } from 'viem'

// One deployment per chain and process: tests that create several wallets share it. An
// `evm_revert` past the deployment removes the code, which `deployDelegationFramework` checks.
const deployments = new Map<string, Promise<SmartAccountsEnvironment>>()

/**
 * Deploys MetaMask's Delegation Framework (DelegationManager, EntryPoint, SimpleFactory, the
 * DeleGator implementations and the caveat enforcers, from the bytecode in
 * `@metamask/delegation-abis`) with the kit's own `deploySmartAccountsEnvironment`, and registers
 * it with `overrideDeployedEnvironment` so the kit finds it on this chain. Reuses a deployment
 * this process made (or `environment`, one made elsewhere, e.g. in a test run's global setup)
 * while its DelegationManager still has code. For local development and tests only.
 *
 * @example
 * const environment = await deployDelegationFramework(relayerClient, publicClient)
 * environment.DelegationManager // '0x…'
 */
export async function deployDelegationFramework(
  walletClient: WalletClient<Transport, Chain, Account>,
  publicClient: PublicClient,
  environment?: SmartAccountsEnvironment,
): Promise<SmartAccountsEnvironment> {
  const chainId = walletClient.chain.id
  const key = `${chainId}:${walletClient.chain.rpcUrls.default.http[0]}`
  const known = environment ? Promise.resolve(environment) : deployments.get(key)
  if (known) {
    const existing = await known.catch(() => undefined)
    if (existing && (await publicClient.getCode({ address: existing.DelegationManager }))) {
      overrideDeployedEnvironment(chainId, PREFERRED_VERSION, existing)
      return existing
    }
  }
  const deployment = deploySmartAccountsEnvironment(walletClient, publicClient, walletClient.chain)
  deployments.set(key, deployment)
  const deployed = await deployment
  overrideDeployedEnvironment(chainId, PREFERRED_VERSION, deployed)
  return deployed
}
