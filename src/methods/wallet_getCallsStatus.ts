import type { CallsStatus } from '../execution/types.js'
import type { MethodContext, MethodHandler } from './types.js'

/**
 * `wallet_getCallsStatus` (ERC-5792). For an id keyleash's executor made itself (a transaction
 * or a UserOperation the session key sent, which the wallet never saw), keyleash answers from
 * the chain, through the executor, in the v2 shape viem's `waitForCallsStatus` reads. Every
 * other id goes to the wallet untouched.
 *
 * @see https://eips.ethereum.org/EIPS/eip-5792
 * @example
 * const { id } = await client.sendCalls({ calls, capabilities: { permissions: { context } } })
 * const { status, receipts } = await client.waitForCallsStatus({ id })
 */
export const wallet_getCallsStatus: MethodHandler = async (params, context, request) => {
  const id: unknown = Array.isArray(params) ? params[0] : undefined
  const own = typeof id === 'string' ? ownCallsStatus(context, id) : undefined
  return own ?? context.inner.request(request)
}

/**
 * The status of calls `id`: from the executor when it made the id, from the wallet otherwise.
 *
 * @example
 * const status = await callsStatus(context, id)
 */
export function callsStatus(context: MethodContext, id: string): Promise<CallsStatus> {
  return ownCallsStatus(context, id) ?? (context.inner.request({ method: 'wallet_getCallsStatus', params: [id] }) as Promise<CallsStatus>)
}

function ownCallsStatus(context: MethodContext, id: string): Promise<CallsStatus> | undefined {
  const { getCallsStatus } = context.executor
  const chainId = context.callsIds.chainOf(id)
  if (getCallsStatus === undefined || chainId === undefined) return undefined
  return getCallsStatus({ id, chainId, inner: context.inner })
}
