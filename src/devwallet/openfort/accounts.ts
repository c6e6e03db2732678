import { type Address, type Hex, type PublicClient, encodeFunctionData, maxUint48 } from 'viem'
import type { SignAuthorizationReturnType } from 'viem/accounts'
import { openfortDelegatedAccountAbi, openfortDelegatedAccountBytecode, openfortSmartAccountAbi, openfortSmartAccountBytecode } from '../artifacts.js'
import type { AccountCall, DeployerClient } from '../contracts.js'
import { selfCall } from '../registration.js'
import type { OpenfortAccountType } from '../../wallets/openfort.js'
import { delegated, delegatedKey, delegatedKeyId } from '../../wallets/openfortDelegated/abi.js'
import { delegatedRegistrationCalls } from '../../wallets/openfortDelegated/keyRegistration.js'
import type { CreateSession } from './requests.js'

export type { OpenfortAccountType } from '../../wallets/openfort.js'

/**
 * The EIP-712 domain name of each account type's model (`contracts/OpenfortAccounts.sol`): what
 * `execute` digests are signed under.
 *
 * @example
 * executeTypedData(account, chainId, calls, nonce, openfortDomainNames['Smart Account'])
 */
export const openfortDomainNames: Readonly<Record<OpenfortAccountType, string>> = {
  'Smart Account': 'OpenfortSmartAccountModel',
  'Delegated Account': 'OpenfortDelegatedAccountModel',
}

/**
 * The ABI of each account type's model, for reads and for naming its reverts.
 *
 * @example
 * await publicClient.readContract({ address, abi: openfortAccountAbis['Smart Account'], functionName: 'sessionKeys', args: [key] })
 */
export const openfortAccountAbis = {
  'Smart Account': openfortSmartAccountAbi,
  'Delegated Account': openfortDelegatedAccountAbi,
} as const

/**
 * What a Smart Account's `limit` is when the request names none: as many calls as a uint48 holds.
 * With no whitelist, that same value makes the key a master key (Openfort's rule).
 *
 * @example
 * registerSessionKey(key, validAfter, validUntil, limit ?? openfortMasterLimit, whitelist)
 */
export const openfortMasterLimit = Number(maxUint48)

/**
 * The owner's self-calls that register a session as the account type takes it: a Smart Account's
 * `registerSessionKey(key, validAfter, validUntil, limit, whitelist)` (no limit asked: the uint48
 * maximum); a Delegated Account's `registerKey` of the EOA key with the API's `limit` (none asked:
 * 0, which the account refuses) and window, then `setCanCall` of any function on each whitelisted
 * target (Openfort's API names targets, not functions), no spend rule. The owner signs them as one
 * batch, which holds at most 9 calls.
 *
 * @example
 * const calls = registerSessionCalls('Smart Account', account, session)
 */
export function registerSessionCalls(type: OpenfortAccountType, account: Address, session: CreateSession): AccountCall[] {
  if (type === 'Smart Account')
    return [
      selfCall(
        account,
        encodeFunctionData({
          abi: openfortSmartAccountAbi,
          functionName: 'registerSessionKey',
          args: [session.key, session.validAfter, session.validUntil, session.limit ?? openfortMasterLimit, session.whitelist],
        }),
      ),
    ]
  return delegatedRegistrationCalls(account, {
    keyId: delegatedKeyId(session.key),
    keyData: { keyType: 0, validUntil: session.validUntil, validAfter: session.validAfter, limits: session.limit ?? 0, key: delegatedKey(session.key), keyControl: 0 },
    canCall: session.whitelist.map((target) => ({ target, selector: delegated.anyFunction })),
    spends: [],
  })
}

/**
 * The owner's self-call that revokes `key`.
 *
 * @example
 * const call = revokeSessionCall('Delegated Account', account, key)
 */
export function revokeSessionCall(type: OpenfortAccountType, account: Address, key: Address): AccountCall {
  const data =
    type === 'Smart Account'
      ? encodeFunctionData({ abi: openfortSmartAccountAbi, functionName: 'revokeSessionKey', args: [key] })
      : encodeFunctionData({ abi: openfortDelegatedAccountAbi, functionName: 'revokeKey', args: [delegatedKeyId(key)] })
  return selfCall(account, data)
}

/**
 * Deploys a Smart Account model owned by `owner`. For local development and tests.
 *
 * @example
 * const account = await deployOpenfortSmartAccount(relayerClient, publicClient, owner.address)
 */
export async function deployOpenfortSmartAccount(client: DeployerClient, publicClient: PublicClient, owner: Address): Promise<Address> {
  const hash = await client.deployContract({ abi: openfortSmartAccountAbi, bytecode: openfortSmartAccountBytecode, args: [owner], chain: client.chain ?? null, account: client.account })
  return deployedAt(publicClient, hash)
}

/**
 * Deploys the Delegated Account model's code, which owners delegate to (EIP-7702). For local development and tests.
 *
 * @example
 * const implementation = await deployOpenfortDelegatedImplementation(relayerClient, publicClient)
 */
export async function deployOpenfortDelegatedImplementation(client: DeployerClient, publicClient: PublicClient): Promise<Address> {
  const hash = await client.deployContract({ abi: openfortDelegatedAccountAbi, bytecode: openfortDelegatedAccountBytecode, chain: client.chain ?? null, account: client.account })
  return deployedAt(publicClient, hash)
}

/**
 * Sends the owner's EIP-7702 authorization (signed by the owner, relayed by anyone): the owner's
 * address then runs the Delegated Account model, and is the account.
 *
 * @example
 * const authorization = await owner.signAuthorization({ contractAddress: implementation, chainId, nonce: 0 })
 * await delegateToOpenfort(relayerClient, publicClient, owner.address, authorization)
 */
export async function delegateToOpenfort(client: DeployerClient, publicClient: PublicClient, owner: Address, authorization: SignAuthorizationReturnType): Promise<void> {
  const hash = await client.sendTransaction({ to: owner, data: '0x', authorizationList: [authorization], chain: client.chain ?? null, account: client.account })
  const receipt = await publicClient.waitForTransactionReceipt({ hash })
  if (receipt.status !== 'success') throw new Error(`the EIP-7702 delegation ${hash} failed`)
}

async function deployedAt(publicClient: PublicClient, hash: Hex): Promise<Address> {
  const receipt = await publicClient.waitForTransactionReceipt({ hash })
  if (receipt.status !== 'success' || !receipt.contractAddress) throw new Error(`deployment ${hash} failed (status ${receipt.status})`)
  return receipt.contractAddress
}
