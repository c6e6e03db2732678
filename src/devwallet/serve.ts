import { JsonRpcError } from '@metamask/rpc-errors'
import { type IncomingMessage, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Address } from 'viem'
import { type DevChain, startDevChain } from './chain.js'
import type { Approve } from './context.js'
import type { DevWalletDialectName } from './dialects.js'
import { type DevWallet, createDevWallet } from './wallet.js'

/** What {@link serveDevWallet}'s `devwallet_info` answers: enough to build clients and check results on chain. */
export type DevWalletInfo = {
  /** The chain the wallet is on (JSON-RPC over HTTP). */
  rpcUrl: string
  chainId: number
  /** The user's account (`eth_accounts`). */
  account: Address
  /** The demo NFT (`mint(address)`) and ERC-20. */
  contracts: { nft: Address; token: Address }
  /** The wallet's confirmation screens so far, from every process. */
  prompts: number
}

/** Options of {@link serveDevWallet}. */
export type ServeDevWalletOptions = {
  /** A chain to use; default: a new one (`startDevChain()`), stopped by `close()`. */
  rpcUrl?: string
  /** The ERC-7715 dialect the wallet speaks. Default: `'erc7715'`. */
  dialect?: DevWalletDialectName
  /** Stands in for the wallet's confirmation screen, in the serving process. Default: approve everything. */
  approve?: Approve
}

/** A development wallet served over HTTP: see {@link serveDevWallet}. */
export type ServedDevWallet = {
  /** `http://127.0.0.1:<port>`: give it to {@link connectDevWallet} in other processes. */
  url: string
  /** The wallet, in this process. */
  wallet: DevWallet
  /** Stops the server, and the chain if it started one. */
  close(): Promise<void>
}

/**
 * Serves a development wallet to other processes, **for local development and tests only**: the
 * dev wallet (and a chain, unless `rpcUrl` is given) lives in this process, and answers JSON-RPC
 * 2.0 over HTTP on 127.0.0.1 (a free port), so several processes (an app restarted, two instances
 * of a service) act for the same user, with the same account and the sessions registered on
 * chain. Its confirmations are asked here (`approve`). `devwallet_info` answers
 * {@link DevWalletInfo}. The browser demo's wallet is served the same way by its Vite plugin.
 *
 * @example
 * import { serveDevWallet } from 'keyleash/devwallet'
 *
 * const served = await serveDevWallet()
 * console.log(served.url) // give it to connectDevWallet(url) in the app's processes
 */
export async function serveDevWallet(options: ServeDevWalletOptions = {}): Promise<ServedDevWallet> {
  const chain: DevChain | undefined = options.rpcUrl === undefined ? await startDevChain() : undefined
  const rpcUrl = options.rpcUrl ?? (chain as DevChain).rpcUrl
  const wallet = await createDevWallet({ rpcUrl, dialect: options.dialect ?? 'erc7715', ...(options.approve ? { approve: options.approve } : {}) })
  const chainId = Number(await wallet.provider.request({ method: 'eth_chainId' }))
  const info = (): DevWalletInfo => ({ rpcUrl, chainId, account: wallet.account, contracts: wallet.contracts, prompts: wallet.prompts })

  const server = createServer((request, response) => {
    void answer(request).then((body) => {
      response.writeHead(200, { 'content-type': 'application/json' })
      // Wallet answers are JSON-RPC values (hex strings); a bigint in an error's data goes as a decimal string.
      response.end(JSON.stringify(body, (_, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)))
    })
  })
  const answer = async (request: IncomingMessage): Promise<Record<string, unknown>> => {
    let id: unknown = null
    try {
      const { method, params, id: given } = JSON.parse(await readText(request)) as { method: string; params?: unknown; id?: unknown }
      id = given ?? null
      const result = method === 'devwallet_info' ? info() : await wallet.provider.request({ method: method as never, params: params as never })
      return { jsonrpc: '2.0', id, result: result ?? null }
    } catch (error) {
      const { code, message, data } = error as { code?: unknown; message?: unknown; data?: unknown }
      return { jsonrpc: '2.0', id, error: { code: typeof code === 'number' ? code : -32603, message: String(message ?? error), data } }
    }
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    wallet,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await wallet.close()
      await chain?.stop()
    },
  }
}

async function readText(request: IncomingMessage): Promise<string> {
  let text = ''
  for await (const chunk of request) text += String(chunk)
  return text
}

/** A served development wallet, reached from another process: see {@link connectDevWallet}. */
export type ConnectedDevWallet = DevWalletInfo & {
  /** An EIP-1193 provider whose requests go to the served wallet (it emits no events). */
  provider: DevWalletClientProvider
  /** The wallet's state now (its `prompts` grow as any process asks). */
  info(): Promise<DevWalletInfo>
}

/** The provider of a {@link ConnectedDevWallet}: `request`, and the listener methods wagmi's `injected({ target })` needs. */
export type DevWalletClientProvider = {
  /** Sends one request to the served wallet; rejects with the wallet's coded error. */
  request(args: { method: string; params?: unknown }): Promise<unknown>
  /** Accepted for EIP-1193's sake; a served wallet emits no events. */
  on(event: string, listener: (...args: unknown[]) => void): DevWalletClientProvider
  /** Accepted for EIP-1193's sake. */
  removeListener(event: string, listener: (...args: unknown[]) => void): DevWalletClientProvider
}

/**
 * The development wallet {@link serveDevWallet} serves, from another process, **for local
 * development and tests only**: every request goes to `url`, and comes back as the wallet
 * answered it (an error keeps its code and data, so keyleash and viem map it).
 *
 * @example
 * import { withSessionKeys } from 'keyleash'
 * import { connectDevWallet } from 'keyleash/devwallet'
 *
 * const wallet = await connectDevWallet(process.env.DEV_WALLET_URL!)
 * const provider = withSessionKeys(wallet.provider)
 */
export async function connectDevWallet(url: string): Promise<ConnectedDevWallet> {
  let next = 0
  const request = async ({ method, params }: { method: string; params?: unknown }): Promise<unknown> => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: ++next, method, params }) })
    const body = (await response.json()) as { result?: unknown; error?: { code: number; message: string; data?: Record<string, unknown> } }
    if (body.error) throw new JsonRpcError(body.error.code, body.error.message, body.error.data)
    return body.result
  }
  const provider: DevWalletClientProvider = { request, on: () => provider, removeListener: () => provider }
  const info = () => request({ method: 'devwallet_info' }) as Promise<DevWalletInfo>
  return { ...(await info()), provider, info }
}
