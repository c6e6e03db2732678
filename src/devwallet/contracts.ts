import type {
  Account,
  Address,
  Chain,
  Hex,
  PublicClient,
  Transport,
  TypedDataDefinition,
  WalletClient,
} from 'viem'
import { bytesToBigInt, getAddress } from 'viem'
import {
  demoNftAbi,
  demoNftBytecode,
  demoTokenAbi,
  demoTokenBytecode,
  sessionAccountAbi,
  sessionAccountBytecode,
} from './artifacts.js'

/**
 * Selector that, in a {@link SessionScope}, allows every function of the target.
 *
 * @example
 * const scope: SessionScope = { target: demoToken, selector: ANY_SELECTOR }
 */
export const ANY_SELECTOR = '0xffffffff' as const

/**
 * EIP-712 domain name and version of the SessionAccount (the contract's constructor pins them).
 *
 * @example
 * const domain = { ...SESSION_ACCOUNT_DOMAIN, chainId: 31337, verifyingContract: account }
 */
export const SESSION_ACCOUNT_DOMAIN = { name: 'KeyleashSessionAccount', version: '1' } as const

/** One call of a SessionAccount `execute` batch (Solidity `Call`). */
export type AccountCall = { target: Address; value: bigint; data: Hex }

/** An allowed target + selector pair (Solidity `Scope`); `selector` {@link ANY_SELECTOR} = any function. */
export type SessionScope = { target: Address; selector: Hex }

/** A per-token spend cap for a session (Solidity `TokenAllowance`). */
export type TokenAllowance = { token: Address; allowance: bigint }

/**
 * EIP-712 types signed for `execute`; `Call[]` is encoded as the hash of its element hashes.
 *
 * @example
 * await key.signTypedData({ domain, types: executeTypes, primaryType: 'Execute', message: { calls, nonce } })
 */
export const executeTypes = {
  Execute: [
    { name: 'calls', type: 'Call[]' },
    { name: 'nonce', type: 'uint256' },
  ],
  Call: [
    { name: 'target', type: 'address' },
    { name: 'value', type: 'uint256' },
    { name: 'data', type: 'bytes' },
  ],
} as const

/** What the owner or a session key signs to authorise `execute(calls, nonce, signature)`. */
export type ExecuteTypedData = TypedDataDefinition<typeof executeTypes, 'Execute'>

/**
 * The EIP-712 typed data ({@link https://eips.ethereum.org/EIPS/eip-712 EIP-712}) that authorises
 * `SessionAccount.execute(calls, nonce, signature)`; sign it with the owner or a session key.
 *
 * @example
 * const typedData = executeTypedData(accountAddress, 31337, [{ target: nft, value: 0n, data }], randomExecuteNonce())
 * const signature = await sessionKey.signTypedData(typedData)
 */
export function executeTypedData(
  account: Address,
  chainId: number,
  calls: readonly AccountCall[],
  nonce: bigint,
  // The Openfort account models sign the same `Execute` under their own domain name.
  name: string = SESSION_ACCOUNT_DOMAIN.name,
): ExecuteTypedData {
  return {
    domain: { name, version: SESSION_ACCOUNT_DOMAIN.version, chainId, verifyingContract: account },
    types: executeTypes,
    primaryType: 'Execute',
    message: { calls: calls.map((c) => ({ target: c.target, value: c.value, data: c.data })), nonce },
  }
}

/**
 * A random 256-bit nonce for `execute`. Nonces are unordered (any unused value is accepted), so
 * batches prepared concurrently need no coordination; a random one will not collide.
 *
 * @example
 * const nonce = randomExecuteNonce()
 */
export function randomExecuteNonce(): bigint {
  return bytesToBigInt(crypto.getRandomValues(new Uint8Array(32)))
}

/** A wallet client with an account, able to send deploy transactions. */
export type DeployerClient = WalletClient<Transport, Chain | undefined, Account>

/** Addresses of the dev wallet's contracts, as deployed by {@link deployDevContracts}. */
export type DevContracts = {
  sessionAccount: Address
  demoNft: Address
  demoToken: Address
}

async function deploy(
  walletClient: DeployerClient,
  publicClient: PublicClient,
  sendDeploy: (chain: Chain | null) => Promise<Hex>,
): Promise<Address> {
  const hash = await sendDeploy(walletClient.chain ?? null)
  const receipt = await publicClient.waitForTransactionReceipt({ hash })
  if (receipt.status !== 'success' || !receipt.contractAddress) {
    throw new Error(`deployment ${hash} failed (status ${receipt.status})`)
  }
  // Receipts carry lowercase addresses; checksum them so they compare equal to decoded ABI values.
  return getAddress(receipt.contractAddress)
}

/**
 * Deploys a SessionAccount owned by `owner` and waits for it to be mined. For local development and tests.
 *
 * @example
 * const account = await deploySessionAccount(walletClient, publicClient, owner.address)
 */
export function deploySessionAccount(
  walletClient: DeployerClient,
  publicClient: PublicClient,
  owner: Address,
): Promise<Address> {
  return deploy(walletClient, publicClient, (chain) =>
    walletClient.deployContract({
      abi: sessionAccountAbi,
      bytecode: sessionAccountBytecode,
      args: [owner],
      chain,
      account: walletClient.account,
    }),
  )
}

/**
 * Deploys a DemoNFT (anyone may `mint(to)`; ids 1, 2, 3, …). For local development and tests.
 *
 * @example
 * const nft = await deployDemoNft(walletClient, publicClient)
 */
export function deployDemoNft(walletClient: DeployerClient, publicClient: PublicClient): Promise<Address> {
  return deploy(walletClient, publicClient, (chain) =>
    walletClient.deployContract({ abi: demoNftAbi, bytecode: demoNftBytecode, chain, account: walletClient.account }),
  )
}

/**
 * Deploys a DemoToken (ERC-20 + permit; anyone may `mint(to, amount)`). For local development and tests.
 *
 * @example
 * const token = await deployDemoToken(walletClient, publicClient)
 */
export function deployDemoToken(walletClient: DeployerClient, publicClient: PublicClient): Promise<Address> {
  return deploy(walletClient, publicClient, (chain) =>
    walletClient.deployContract({ abi: demoTokenAbi, bytecode: demoTokenBytecode, chain, account: walletClient.account }),
  )
}

/**
 * Deploys the SessionAccount (owned by `owner`), the DemoNFT and the DemoToken, one after the
 * other (they share the deployer's nonce sequence). For local development and tests.
 *
 * @example
 * const { sessionAccount, demoNft, demoToken } = await deployDevContracts(walletClient, publicClient, owner.address)
 */
export async function deployDevContracts(
  walletClient: DeployerClient,
  publicClient: PublicClient,
  owner: Address,
): Promise<DevContracts> {
  const sessionAccount = await deploySessionAccount(walletClient, publicClient, owner)
  const demoNft = await deployDemoNft(walletClient, publicClient)
  const demoToken = await deployDemoToken(walletClient, publicClient)
  return { sessionAccount, demoNft, demoToken }
}

export { demoNftAbi, demoTokenAbi, sessionAccountAbi } from './artifacts.js'
