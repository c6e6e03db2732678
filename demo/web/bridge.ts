import type { Eip1193Provider, RequestArguments } from '../../src/index.js'
import type { BridgeAnswer } from './devWalletServer.js'

/**
 * An error the wallet answered, with its JSON-RPC code kept so keyleash and viem map it.
 *
 * @example
 * throw new WalletError(4001, 'the user rejected the request')
 */
export class WalletError extends Error {
  override name = 'WalletError'
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message)
  }
}

/**
 * The page's handle on the dev wallet the Vite server hosts: an EIP-1193 provider whose
 * `request` goes to `POST /devwallet/rpc`. When the wallet asks for a confirmation, `confirm`
 * (by default the browser's `window.confirm`) shows its summary, and the answer goes back.
 *
 * @example
 * const provider = withSessionKeys(devWalletBridge(), { store: indexedDbStore() })
 */
export function devWalletBridge(confirm: (summary: string) => boolean = (summary) => window.confirm(summary)): Eip1193Provider {
  async function settle(answer: BridgeAnswer): Promise<unknown> {
    if ('prompt' in answer) return settle(await post('/devwallet/approve', { ticket: answer.ticket, approved: confirm(answer.prompt.summary) }))
    if ('error' in answer) throw new WalletError(answer.error.code, answer.error.message, answer.error.data)
    return answer.result
  }
  return {
    request: async (args: RequestArguments) => settle(await post('/devwallet/rpc', { method: args.method, params: args.params })),
  }
}

async function post(path: string, body: unknown): Promise<BridgeAnswer> {
  const response = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return (await response.json()) as BridgeAnswer
}
