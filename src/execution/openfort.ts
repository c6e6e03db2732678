import { type Address, type Hex, numberToHex } from 'viem'
import { InternalError, InvalidParamsError, KeyleashError } from '../errors.js'
import { type OpenfortAccountType, openfortLimits } from '../wallets/openfort.js'
import { hashExecutor } from './hash.js'
import type { Executor } from './types.js'

/** Where transaction intents are created and signed: Openfort's API, or the app's server in front of it. */
export type OpenfortIntentsBackend = {
  /** Base URL: `https://api.openfort.io`, or the app's own proxy to it. */
  url: string
  /** Sent with every request, e.g. `{ authorization: 'Bearer sk_…' }` on a server. */
  headers?: Readonly<Record<string, string>> | undefined
  /** Default: the global `fetch`. */
  fetch?: typeof fetch | undefined
}

/** Options of {@link openfortExecutor}. */
export type OpenfortExecutorOptions = {
  backend: OpenfortIntentsBackend
  /** The Openfort account id (`acc_…`) of a session's smart account. */
  account: string | ((address: Address) => string)
  /**
   * The account's type at Openfort, which decides how a signable hash is signed, as the SDK
   * signs it for the owner: an EIP-191 message on a `'Smart Account'` (default), the raw hash
   * on a `'Delegated Account'` (EIP-7702).
   */
  accountType?: OpenfortAccountType | undefined
}

/**
 * Sends session calls through Openfort's transaction intents (the seed's step 4): creates an
 * intent for the calls (`POST /v1/transaction_intents`), has the session key sign its
 * `nextAction.payload.signableHash` as Openfort's SDK signs for that account type, and posts
 * the signature (`POST /v1/transaction_intents/:id/signature`). Resolves to the intent id,
 * which Openfort's provider answers `wallet_getCallsStatus` for. More than 9 calls are refused
 * (-32602) before Openfort is asked: its account runs at most 9 in a batch. Openfort has no ERC-7836
 * `wallet_prepareCalls`, so `wallet: openfort` needs this executor.
 *
 * @example
 * import { withSessionKeys } from 'keyleash'
 * import { openfort, openfortExecutor } from 'keyleash/wallets'
 *
 * const provider = withSessionKeys(openfortProvider, {
 *   wallet: openfort,
 *   executor: openfortExecutor({ backend: { url: 'https://api.openfort.io', headers: { authorization: `Bearer ${secretKey}` } }, account: 'acc_…' }),
 * })
 */
export function openfortExecutor(options: OpenfortExecutorOptions): Executor {
  const { backend } = options
  const post = async (path: string, body: unknown): Promise<Record<string, unknown>> => {
    const response = await (backend.fetch ?? fetch)(`${backend.url.replace(/\/+$/, '')}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...backend.headers },
      body: JSON.stringify(body),
    })
    const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>
    if (!response.ok) {
      const error = answer.error as { message?: unknown } | undefined
      throw new KeyleashError(-32003, `Openfort refused ${path.replace(/tin_\w+/, ':id')} (HTTP ${response.status}): ${typeof error?.message === 'string' ? error.message : 'no message'}`)
    }
    return answer
  }
  const execute = hashExecutor({
    signature: options.accountType === 'Delegated Account' ? 'raw' : 'eip191',
    async prepare({ session, calls, chainId }) {
      // Refused before Openfort is asked: its account's executeBatch reverts past 9 calls.
      if (calls.length > openfortLimits.callsPerBatch)
        throw new InvalidParamsError('params[0].calls', `Openfort's account runs at most ${openfortLimits.callsPerBatch} calls in one batch; this one has ${calls.length}`, {
          hint: `send them in batches of at most ${openfortLimits.callsPerBatch}`,
        })
      const account = typeof options.account === 'string' ? options.account : options.account(session.account)
      const interactions = calls.map((call) => ({ to: call.to, data: call.data ?? '0x', value: numberToHex(call.value ?? 0n) }))
      const intent = await post('/v1/transaction_intents', { account, chainId, interactions })
      const hash = (intent.nextAction as { payload?: { signableHash?: unknown } } | undefined)?.payload?.signableHash
      if (typeof intent.id !== 'string' || typeof hash !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(hash))
        throw new InternalError('Openfort answered a transaction intent without an id and a 32-byte nextAction.payload.signableHash')
      return { hash: hash as Hex, intent: intent.id }
    },
    async submit({ intent, signature }) {
      const id = intent as string
      const signed = await post(`/v1/transaction_intents/${id}/signature`, { signature })
      const response = signed.response as { status?: unknown; error?: { reason?: unknown } } | undefined
      if (response?.status === 0)
        throw new KeyleashError(-32003, `the transaction intent ${id} reverted on chain: ${String(response.error?.reason ?? 'no reason given')}`)
      return { id }
    },
  })
  return Object.assign(execute, {
    secp256k1Only:
      "Openfort registers a session key by its address (POST /v1/sessions), which only a secp256k1 key has; grant with keyType 'secp256k1' (the default)",
  })
}
