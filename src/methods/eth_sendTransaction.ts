import type { Hex } from 'viem'
import { InternalError } from '../errors.js'
import { readCalls } from '../permissions/calls.js'
import { readAddress, readArray, readChainId, readObject } from '../permissions/read.js'
import { pickSession } from '../sessions/pickSession.js'
import { runInSession } from '../sessions/use.js'
import type { MethodContext, MethodHandler } from './types.js'
import { callsStatus } from './wallet_getCallsStatus.js'
import { walletChainId } from '../walletState.js'

/**
 * `eth_sendTransaction`, under `autoRoute: autoRouting()`: a transaction from an account with a
 * live session that covers it is signed with the session key (no prompt) and answered with its
 * transaction hash, as viem's `writeContract` expects. Everything else goes to the wallet
 * untouched.
 *
 * @example
 * const provider = withSessionKeys(inner, { autoRoute: autoRouting() })
 * const hash = await walletClient.writeContract({ address: nft, abi, functionName: 'mint', args: [to] })
 */
export const eth_sendTransaction: MethodHandler = (params, context, request) =>
  context.options.autoRoute === undefined ? context.inner.request(request) : context.options.autoRoute.sendTransaction(params, context, request)

/**
 * `eth_sendTransaction` with auto-routing on (the opt-in's, bundled only with it): signed by the
 * live session that covers it, or passed to the wallet.
 *
 * @example
 * autoRouting().sendTransaction // this
 */
export const sendRoutedTransaction: MethodHandler = async (params, context, request) => {
  const forward = () => context.inner.request(request)
  const tx: unknown = Array.isArray(params) ? params[0] : undefined
  // Contract creations and malformed requests are the wallet's to judge.
  if (typeof tx !== 'object' || tx === null || (tx as { to?: unknown }).to == null || !('from' in tx)) return forward()

  const transaction = readObject(readArray(params, 'params')[0], 'params[0]')
  const from = readAddress(transaction.from, 'params[0].from')
  const calls = readCalls([transaction], 'params')
  const chainId = transaction.chainId === undefined ? await walletChainId(context.inner) : readChainId(transaction.chainId, 'params[0].chainId')
  const session = await pickSession(context, chainId, from, calls)
  if (!session) return forward()
  const { id } = await runInSession(context, session, calls, chainId)
  return transactionHashOf(context, id)
}

const pollInterval = 250
const pollLimit = 240

/** The hash of the transaction that carried calls `id`, once the wallet reports a receipt. */
async function transactionHashOf(context: MethodContext, id: string): Promise<Hex> {
  for (let attempt = 0; attempt < pollLimit; attempt++) {
    const status = (await callsStatus(context, id)) as { receipts?: readonly { transactionHash?: Hex }[] } | undefined
    const hash = status?.receipts?.[0]?.transactionHash
    if (hash) return hash
    await new Promise((resolve) => setTimeout(resolve, pollInterval))
  }
  throw new InternalError(`calls ${id} were sent with the session key, but the wallet reported no transaction for them within a minute`, { id })
}
