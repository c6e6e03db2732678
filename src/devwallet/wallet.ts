import { rpcErrors } from '@metamask/rpc-errors'
import {
  type Address,
  type Hex,
  type PublicClient,
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  numberToHex,
  parseEther,
} from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import type { Approve, DevWalletContext } from './context.js'
import { deployDemoNft, deployDemoToken, deploySessionAccount } from './contracts.js'
import type { DevWalletDialectName } from './dialects.js'
import { userRejected } from './errors.js'
import { type DevWalletProvider, createDevWalletProvider } from './provider.js'
import { createRelay } from './relay.js'

/** Options of {@link createDevWallet}. */
export type CreateDevWalletOptions = {
  /** JSON-RPC URL of the chain, e.g. `startDevChain()`'s `rpcUrl`. Anvil is best; any dev node with an unlocked funded account works. */
  rpcUrl: string
  /** The ERC-7715 dialect the wallet speaks for grants. Default: `'erc7715'` (viem's, June 2024 draft). */
  dialect?: DevWalletDialectName
  /** The confirmation screen's stand-in: `true` approves, `false` rejects with 4001. Default: approve everything. */
  approve?: Approve
  /** Demo contracts to reuse instead of deploying new ones (several wallets on one chain can share them). */
  contracts?: { nft: Address; token: Address }
}

/** A running dev wallet: see {@link createDevWallet}. */
export type DevWallet = {
  /** The EIP-1193 provider: pass it to viem's `custom()`, or wrap it with `withSessionKeys`. */
  provider: DevWalletProvider
  /** The SessionAccount: the wallet's one account (`eth_accounts`). */
  account: Address
  /** The EOA that owns the account; its key never leaves the wallet. */
  owner: Address
  /** The demo NFT (`mint(address)`) and ERC-20 (`mint(address,uint256)`, permit). */
  contracts: { nft: Address; token: Address }
  /** How many times the approval hook has been asked. */
  readonly prompts: number
  /** Closes the provider: every later request is a 4900. The chain is not the wallet's to stop. */
  close(): Promise<void>
}

// Gas money for the relayer, and some ETH in the account for calls that send value.
const relayerFunds = parseEther('1000')
const accountFunds = parseEther('10')

/**
 * Creates a real local embedded wallet, **for local development and tests only** (its keys
 * live in memory, and it approves everything unless told otherwise): a fresh owner key, a
 * funded relayer that pays gas, a SessionAccount deployed for the owner (plus the demo NFT and
 * token unless given), and an EIP-1193 provider that speaks ERC-7715 in `dialect`, ERC-5792
 * (`wallet_sendCalls`) and ERC-7836 (`wallet_prepareCalls`), with every grant, revocation,
 * owner-signed call and signature confirmed by `approve`.
 *
 * @example
 * import { createWalletClient, custom } from 'viem'
 * import { createDevWallet, startDevChain } from 'keyleash/devwallet'
 * import { withSessionKeys } from 'keyleash'
 * import { erc7715v2025 } from 'keyleash/wallets'
 *
 * const chain = await startDevChain()
 * const wallet = await createDevWallet({ rpcUrl: chain.rpcUrl, dialect: 'erc7715-2025' })
 * const provider = withSessionKeys(wallet.provider, { wallet: erc7715v2025 })
 * const client = createWalletClient({ transport: custom(provider) })
 * // … grant, use, revoke …
 * await wallet.close()
 * await chain.stop()
 */
export async function createDevWallet(options: CreateDevWalletOptions): Promise<DevWallet> {
  const { rpcUrl, dialect = 'erc7715', approve = () => true } = options
  const { chainId, publicClient, relayerClient } = await devClients(rpcUrl)
  const owner = privateKeyToAccount(generatePrivateKey())
  const account = await deploySessionAccount(relayerClient, publicClient, owner.address)
  const contracts = options.contracts ?? {
    nft: await deployDemoNft(relayerClient, publicClient),
    token: await deployDemoToken(relayerClient, publicClient),
  }
  await fund(publicClient, account, accountFunds)

  let prompts = 0
  let closed = false
  const context: DevWalletContext = {
    chainId,
    account,
    owner,
    dialect,
    publicClient,
    relay: createRelay({ publicClient, relayerClient, owner, account, chainId }),
    async ask(prompt) {
      prompts += 1
      if (!(await approve(prompt))) throw userRejected(prompt.method)
    },
    bundles: new Map(),
  }
  const provider = createDevWalletProvider(context, () => closed)
  return {
    provider,
    account,
    owner: owner.address,
    contracts,
    get prompts() {
      return prompts
    },
    async close() {
      closed = true
      context.bundles.clear()
    },
  }
}

/**
 * The clients a dev wallet works with: a public client on `rpcUrl`'s chain and a fresh relayer,
 * funded with 1000 ETH, that pays for what the wallet sends. For local development and tests.
 *
 * @example
 * const { chainId, publicClient, relayerClient } = await devClients(rpcUrl)
 */
export async function devClients(rpcUrl: string) {
  const probe = createPublicClient({ transport: http(rpcUrl, { retryCount: 0 }) })
  const chainId = await probe.getChainId()
  const chain = defineChain({
    id: chainId,
    name: `dev ${chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  })
  // Short polling: a dev chain mines each transaction at once, so receipts are there at the first look.
  const transport = http(rpcUrl, { retryCount: 0 })
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 20 }) as PublicClient
  const relayer = privateKeyToAccount(generatePrivateKey())
  const relayerClient = createWalletClient({ account: relayer, chain, transport, pollingInterval: 20 })
  await fund(publicClient, relayer.address, relayerFunds)
  return { chainId, chain, publicClient, relayer, relayerClient }
}

/**
 * Gives `address` ETH (for local development and tests): `anvil_setBalance` on anvil (adds to nothing, sets the balance); on
 * another dev node, a transfer from its first unlocked account.
 *
 * @example
 * await fund(publicClient, sessionKey, parseEther('1'))
 */
export async function fund(publicClient: PublicClient, address: Address, value: bigint): Promise<void> {
  try {
    await publicClient.request({ method: 'anvil_setBalance' as never, params: [address, numberToHex(value)] as never })
    return
  } catch {
    // Not anvil: fall through to a transfer.
  }
  // Wallet methods on a node: the public client's types do not list them.
  const [from] = (await publicClient.request({ method: 'eth_accounts' as never })) as Address[]
  if (from === undefined)
    throw rpcErrors.resourceUnavailable({ message: `cannot fund ${address}: the node is not anvil (no anvil_setBalance) and has no unlocked account` })
  const hash = (await publicClient.request({
    method: 'eth_sendTransaction' as never,
    params: [{ from, to: address, value: numberToHex(value) }] as never,
  })) as Hex
  const receipt = await publicClient.waitForTransactionReceipt({ hash })
  if (receipt.status !== 'success') throw rpcErrors.internal({ message: `funding ${address} from ${from} failed (transaction ${hash})` })
}
