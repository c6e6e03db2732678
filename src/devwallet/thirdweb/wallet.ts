import { type Address, type Hex, type PublicClient, createWalletClient, http, numberToHex, parseEther } from 'viem'
import { entryPoint06Address } from 'viem/account-abstraction'
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts'
import { InvalidParamsError } from '../../errors.js'
import { readAddress, readArray, readObject } from '../../permissions/read.js'
import { checkAccount } from '../calls.js'
import type { Approve, DevWalletContext } from '../context.js'
import { deployDemoNft, deployDemoToken } from '../contracts.js'
import { deployEntryPoints } from '../erc4337/entryPoints.js'
import { userRejected } from '../errors.js'
import { type DevWalletProvider, read, routedProvider } from '../provider.js'
import { personalSign, signTypedDataV4 } from '../signing.js'
import { devClients, fund } from '../wallet.js'
import { createThirdwebAccount, deployThirdwebFactory } from './deploy.js'

/** Options of {@link createDevThirdweb}. */
export type CreateDevThirdwebOptions = {
  /** JSON-RPC URL of the chain, e.g. `startDevChain()`'s `rpcUrl`. */
  rpcUrl: string
  /** The confirmation screen's stand-in: `true` approves, `false` rejects with 4001. Default: approve everything. */
  approve?: Approve | undefined
  /** thirdweb's `AccountFactory` already deployed on this chain (several wallets can share one); default: deploy one. */
  factory?: Address | undefined
  /** Demo contracts to reuse instead of deploying new ones. */
  contracts?: { nft: Address; token: Address } | undefined
}

/** A running development thirdweb wallet: see {@link createDevThirdweb}. */
export type DevThirdweb = {
  /** The owner's EIP-1193 provider: an EOA wallet that speaks no ERC-7715. */
  provider: DevWalletProvider
  /** The thirdweb account (ERC-4337, EntryPoint v0.6) the owner administers. */
  account: Address
  /** The EOA that owns the account (`eth_accounts`); its key never leaves the wallet. */
  owner: Address
  /** thirdweb's `AccountFactory` the account was created by. */
  factory: Address
  /** The EntryPoint the account runs on: v0.6, at its canonical address. */
  entryPoint: Address
  /** The demo NFT (`mint(address)`) and ERC-20. */
  contracts: { nft: Address; token: Address }
  /** How many times the approval hook has been asked. */
  readonly prompts: number
  /** Closes the provider: every later request is a 4900. */
  close(): Promise<void>
}

type ThirdwebContext = Pick<DevWalletContext, 'account' | 'owner' | 'ask' | 'publicClient' | 'chainId'> & {
  send(transaction: { to: Address; data?: Hex | undefined; value?: bigint | undefined }): Promise<Hex>
}

/**
 * A development wallet whose account is thirdweb's smart account (`Account` from
 * `@thirdweb-dev/contracts`, created by its `AccountFactory` on the canonical EntryPoint v0.6),
 * owned by an EOA wallet that speaks no ERC-7715: `eth_accounts` (the owner), `personal_sign`,
 * `eth_signTypedData_v4`, `eth_sendTransaction` (from the owner, who holds ETH for gas), each
 * confirmed by `approve`; reads go to the node; `wallet_*` permission methods are a 4200, as
 * most embedded wallets answer. **For local development and tests only** (keys in memory).
 *
 * @example
 * import { createDevThirdweb, startDevChain } from 'keyleash/devwallet'
 *
 * const chain = await startDevChain()
 * const wallet = await createDevThirdweb({ rpcUrl: chain.rpcUrl })
 * wallet.account // the thirdweb account; wallet.owner answers eth_accounts
 */
export async function createDevThirdweb(options: CreateDevThirdwebOptions): Promise<DevThirdweb> {
  const { rpcUrl, approve = () => true } = options
  const { chainId, chain, publicClient, relayerClient } = await devClients(rpcUrl)
  await deployEntryPoints(relayerClient, publicClient)
  const factory = options.factory ?? (await deployThirdwebFactory(relayerClient, publicClient, entryPoint06Address))
  const owner: PrivateKeyAccount = privateKeyToAccount(generatePrivateKey())
  const account = await createThirdwebAccount(relayerClient, publicClient, factory, owner.address)
  const contracts = options.contracts ?? { nft: await deployDemoNft(relayerClient, publicClient), token: await deployDemoToken(relayerClient, publicClient) }
  // The owner pays its own transactions; the account pays the EntryPoint for its UserOperations.
  await fund(publicClient, owner.address, parseEther('10'))
  await fund(publicClient, account, parseEther('10'))
  const ownerClient = createWalletClient({ account: owner, chain, transport: http(rpcUrl, { retryCount: 0 }) })

  let prompts = 0
  let closed = false
  const context: ThirdwebContext = {
    chainId,
    account: owner.address,
    owner,
    publicClient: publicClient as PublicClient,
    async ask(prompt) {
      prompts += 1
      if (!(await approve(prompt))) throw userRejected(prompt.method)
    },
    send: (transaction) => ownerClient.sendTransaction(transaction),
  }
  const provider = routedProvider(handlers, context, () => closed, () => 'the development thirdweb wallet is an EOA wallet: it signs and sends for its owner, and speaks no ERC-7715')
  return {
    provider,
    account,
    owner: owner.address,
    factory,
    entryPoint: entryPoint06Address,
    contracts,
    get prompts() {
      return prompts
    },
    async close() {
      closed = true
    },
  }
}

type Handler = (params: unknown, context: ThirdwebContext) => unknown

const handlers: Readonly<Record<string, Handler>> = {
  eth_chainId: (_, context) => numberToHex(context.chainId),
  eth_accounts: (_, context) => [context.account],
  eth_requestAccounts: (_, context) => [context.account],
  personal_sign: personalSign,
  eth_signTypedData_v4: signTypedDataV4,
  eth_sendTransaction: sendTransaction,
  eth_sendRawTransaction: (params, context) => read(context, 'eth_sendRawTransaction', params),
}

/** `eth_sendTransaction([{ from, to, data?, value? }])` from the owner, after the approval hook. */
async function sendTransaction(params: unknown, context: ThirdwebContext): Promise<Hex> {
  const transaction = readObject(readArray(params, 'params')[0], 'params[0]')
  checkAccount('eth_sendTransaction', readAddress(transaction.from, 'params[0].from'), context)
  if (typeof transaction.to !== 'string') throw new InvalidParamsError('params[0].to', 'must be an address: the development thirdweb wallet does not deploy contracts')
  await context.ask({ method: 'eth_sendTransaction', summary: `send a transaction to ${transaction.to} from ${context.account}`, params })
  return context.send({
    to: transaction.to as Address,
    data: typeof transaction.data === 'string' ? (transaction.data as Hex) : undefined,
    value: typeof transaction.value === 'string' ? BigInt(transaction.value) : undefined,
  })
}
