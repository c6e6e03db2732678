import { Implementation, type MetaMaskSmartAccount, toMetaMaskSmartAccount } from '@metamask/smart-accounts-kit'
import { type Address, type Hex, type PublicClient, numberToHex, parseEther, parseUnits } from 'viem'
import { entryPoint07Abi, toPackedUserOperation } from 'viem/account-abstraction'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { InternalError } from '../../errors.js'
import { demoTokenAbi } from '../artifacts.js'
import type { ApprovalPrompt } from '../context.js'
import { deployDemoToken } from '../contracts.js'
import { userRejected } from '../errors.js'
import { read, routedProvider } from '../provider.js'
import { devClients, fund } from '../wallet.js'
import { deployDelegationFramework } from './framework.js'
import type { CreateDevMetaMaskOptions, DevMetaMask } from './types.js'
import {
  type MetaMaskContext,
  grantedExecutionPermissions,
  requestExecutionPermissions,
  revokeExecutionPermission,
  supportedExecutionPermissions,
} from './grants.js'

const accountFunds = parseEther('10')
const accountTokens = parseUnits('1000000', 18)

/**
 * {@link createDevMetaMask}'s body, loaded on first use so that `keyleash/devwallet` loads
 * without MetaMask's kit installed.
 *
 * @example
 * const metamask = await devMetaMask({ rpcUrl })
 */
export async function devMetaMask(options: CreateDevMetaMaskOptions): Promise<DevMetaMask> {
  const { rpcUrl, approve = () => true } = options
  const { chainId, publicClient, relayer, relayerClient } = await devClients(rpcUrl)
  const environment = await deployDelegationFramework(relayerClient, publicClient, options.environment)

  const owner = privateKeyToAccount(generatePrivateKey())
  const smartAccount: MetaMaskSmartAccount = await toMetaMaskSmartAccount({
    client: publicClient,
    implementation: Implementation.Hybrid,
    deployParams: [owner.address, [], [], []],
    deploySalt: '0x',
    signer: { account: owner },
    environment,
  })
  const { factory, factoryData } = await smartAccount.getFactoryArgs()
  if (options.deployAccount !== false && factory && factoryData) await confirm(publicClient, await relayerClient.sendTransaction({ to: factory, data: factoryData }))
  const token = options.token ?? (await deployDemoToken(relayerClient, publicClient))
  await confirm(publicClient, await relayerClient.writeContract({ address: token, abi: demoTokenAbi, functionName: 'mint', args: [smartAccount.address, accountTokens] }))
  await fund(publicClient, smartAccount.address, accountFunds)

  let prompts = 0
  let closed = false
  const context: MetaMaskContext = {
    chainId,
    publicClient,
    environment,
    smartAccount,
    // No bundler here: the relayer hands the owner-signed user operation to the EntryPoint itself.
    async execute(calls) {
      const fees = await publicClient.estimateFeesPerGas()
      // Not deployed yet: the user operation deploys it first (ERC-4337 initCode).
      const deployed = await smartAccount.isDeployed()
      const userOperation = {
        ...(deployed || !factory || !factoryData ? {} : { factory, factoryData }),
        sender: smartAccount.address,
        nonce: await smartAccount.getNonce(),
        callData: await smartAccount.encodeCalls(calls),
        callGasLimit: 500_000n,
        verificationGasLimit: 500_000n,
        preVerificationGas: 100_000n,
        maxFeePerGas: fees.maxFeePerGas,
        maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
        signature: '0x' as Hex,
      }
      userOperation.signature = await smartAccount.signUserOperation({ ...userOperation, chainId })
      const hash = await relayerClient.writeContract({
        address: environment.EntryPoint,
        abi: entryPoint07Abi,
        functionName: 'handleOps',
        args: [[toPackedUserOperation(userOperation)], relayer.address],
      })
      await confirm(publicClient, hash)
      return hash
    },
    async ask(prompt) {
      prompts += 1
      const answer = await approve(prompt)
      if (answer === false) throw userRejected(prompt.method)
      return answer === true ? undefined : answer.adjust
    },
    grants: new Map(),
  }
  const provider = routedProvider(handlers, context, () => closed, () => 'the development MetaMask answers Advanced Permissions; calls are redeemed by the session account (erc7710Executor)')
  return {
    provider,
    account: smartAccount.address,
    owner: owner.address,
    environment,
    contracts: { token },
    get prompts() {
      return prompts
    },
    async close() {
      closed = true
    },
  }
}

async function confirm(publicClient: PublicClient, hash: Hex): Promise<void> {
  const receipt = await publicClient.waitForTransactionReceipt({ hash })
  if (receipt.status !== 'success') throw new InternalError(`transaction ${hash} reverted`)
}

type Handler = (params: unknown, context: MetaMaskContext) => unknown

/** What the development MetaMask answers itself; reads go to the node; anything else is 4200. */
const handlers: Readonly<Record<string, Handler>> = {
  eth_chainId: (_, context) => numberToHex(context.chainId),
  eth_accounts: (_, context) => [context.smartAccount.address],
  eth_requestAccounts: (_, context) => [context.smartAccount.address],
  wallet_requestExecutionPermissions: requestExecutionPermissions,
  wallet_getGrantedExecutionPermissions: (_, context) => grantedExecutionPermissions(context),
  wallet_getSupportedExecutionPermissions: (_, context) => supportedExecutionPermissions(context),
  wallet_revokeExecutionPermission: revokeExecutionPermission,
  // MetaMask passes signed transactions to its node: the session key's redemptions go this way.
  eth_sendRawTransaction: (params, context) => read(context, 'eth_sendRawTransaction', params),
}
