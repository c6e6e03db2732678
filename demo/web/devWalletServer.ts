import { AsyncLocalStorage } from 'node:async_hooks'
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Plugin } from 'vite'
import { type DevChain, startDevChain } from '../../src/devwallet/chain.js'
import type { ApprovalPrompt } from '../../src/devwallet/context.js'
import type { DevWalletDialectName } from '../../src/devwallet/dialects.js'
import { type DevWallet, createDevWallet } from '../../src/devwallet/wallet.js'

/**
 * What the page is told about the wallet: enough to build a viem client and to check results
 * on-chain. `prompts` counts the wallet's confirmation screens so far.
 */
export type DevWalletInfo = {
  rpcUrl: string
  chainId: number
  account: `0x${string}`
  contracts: { nft: `0x${string}`; token: `0x${string}` }
  prompts: number
}

/** One answer of the bridge: the request's result or error, or a confirmation the page must answer first. */
export type BridgeAnswer =
  | { result: unknown }
  | { error: { code: number; message: string; data?: unknown } }
  | { prompt: Pick<ApprovalPrompt, 'method' | 'summary'>; ticket: string }

/** A request in flight, as a queue of what the page must see next (prompts, then the outcome). */
class PendingCall {
  private readonly answers: BridgeAnswer[] = []
  private readonly waiting: ((answer: BridgeAnswer) => void)[] = []
  push(answer: BridgeAnswer): void {
    const waiter = this.waiting.shift()
    if (waiter) waiter(answer)
    else this.answers.push(answer)
  }
  next(): Promise<BridgeAnswer> {
    const answer = this.answers.shift()
    return answer ? Promise.resolve(answer) : new Promise((resolve) => this.waiting.push(resolve))
  }
}

/**
 * The dev wallet hosted by the Vite dev server, as an embedded wallet's backend is hosted by its
 * vendor: anvil and the wallet live in Node (and so survive a page reload: the same account,
 * the same on-chain sessions), the page reaches the wallet's EIP-1193 `request` over
 * `POST /devwallet/rpc`, and each confirmation the wallet asks for travels to the page, which
 * shows it with `confirm()` and answers on `POST /devwallet/approve`. keyleash itself runs in
 * the page, with its sessions in IndexedDB. For local development only.
 *
 * @example
 * // demo/web/vite.config.ts
 * export default defineConfig({ plugins: [devWalletServer()] })
 */
export function devWalletServer(options: { dialect?: DevWalletDialectName } = {}): Plugin {
  const calls = new AsyncLocalStorage<PendingCall>()
  const tickets = new Map<string, { call: PendingCall; answer(approved: boolean): void }>()
  let started: Promise<{ chain: DevChain; wallet: DevWallet }> | undefined

  const start = () =>
    (started ??= (async () => {
      const chain = await startDevChain()
      const wallet = await createDevWallet({
        rpcUrl: chain.rpcUrl,
        dialect: options.dialect ?? 'erc7715',
        // The wallet's confirmation screen is the page's: park the prompt until the page answers.
        approve: (prompt) => {
          const call = calls.getStore()
          if (call === undefined) return false
          return new Promise<boolean>((answer) => {
            const ticket = randomUUID()
            tickets.set(ticket, { call, answer })
            call.push({ prompt: { method: prompt.method, summary: prompt.summary }, ticket })
          })
        },
      })
      return { chain, wallet }
    })())

  async function rpc(body: { method: string; params?: unknown }): Promise<BridgeAnswer> {
    const { wallet } = await start()
    const call = new PendingCall()
    calls.run(call, () => wallet.provider.request(body)).then(
      (result) => call.push({ result }),
      (error: { code?: number; message?: string; data?: unknown }) =>
        call.push({ error: { code: error.code ?? -32603, message: error.message ?? String(error), data: error.data } }),
    )
    return call.next()
  }

  async function approve(body: { ticket: string; approved: boolean }): Promise<BridgeAnswer> {
    const pending = tickets.get(body.ticket)
    if (!pending) return { error: { code: -32602, message: `ticket: ${body.ticket} is not a pending confirmation` } }
    tickets.delete(body.ticket)
    pending.answer(body.approved === true)
    return pending.call.next()
  }

  async function info(): Promise<DevWalletInfo> {
    const { chain, wallet } = await start()
    return { rpcUrl: chain.rpcUrl, chainId: chain.chainId, account: wallet.account, contracts: wallet.contracts, prompts: wallet.prompts }
  }

  const routes: Record<string, (body: never) => Promise<unknown>> = { '/rpc': rpc, '/approve': approve, '/info': info }

  return {
    name: 'keyleash-dev-wallet',
    configureServer(server) {
      server.httpServer?.once('close', () => {
        void started?.then(async ({ chain, wallet }) => {
          await wallet.close()
          await chain.stop()
        })
      })
      server.middlewares.use('/devwallet', (req: IncomingMessage, res: ServerResponse, next: () => void) => {
        const route = routes[req.url ?? '']
        if (!route) return next()
        readJson(req)
          .then((body) => route(body as never))
          .then((answer) => send(res, 200, answer))
          .catch((error: unknown) => send(res, 500, { error: { code: -32603, message: error instanceof Error ? error.message : String(error) } }))
      })
    },
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let text = ''
  for await (const chunk of req) text += String(chunk)
  return text === '' ? {} : JSON.parse(text)
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status
  res.setHeader('content-type', 'application/json')
  // Wallet answers are JSON-RPC values (hex strings); a bigint in an error's data is sent as a decimal string.
  res.end(JSON.stringify(body, (_, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)))
}
