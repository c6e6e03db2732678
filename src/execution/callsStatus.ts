import { type Hex, type RpcTransactionReceipt, type Transport, numberToHex } from 'viem'
import type { CallsReceipt, CallsStatus } from './types.js'

/** What {@link callsStatusOf} needs to know of calls an executor sent. */
export type CallsOutcome =
  /** Not on chain yet. */
  | { kind: 'pending' }
  /** Never will be: the node holds neither the transaction nor a receipt. */
  | { kind: 'dropped' }
  /** On chain; `success` whether the calls ran (a transaction can succeed while a UserOperation in it reverted). */
  | { kind: 'mined'; success: boolean; receipt: RpcTransactionReceipt; logs?: RpcTransactionReceipt['logs'] | undefined }

/**
 * The ERC-5792 (v2) status of calls an executor sent in one transaction (or one UserOperation):
 * atomic, one receipt. A UserOperation's receipt carries its own logs, not the bundle's.
 *
 * @see https://eips.ethereum.org/EIPS/eip-5792
 * @example
 * const receipt = await inner.request({ method: 'eth_getTransactionReceipt', params: [id] })
 * return callsStatusOf(id, chainId, receipt ? { kind: 'mined', success: receipt.status === '0x1', receipt } : { kind: 'pending' })
 */
export function callsStatusOf(id: string, chainId: number, outcome: CallsOutcome): CallsStatus {
  const base = { version: '2.0.0', id, chainId: numberToHex(chainId), atomic: true } as const
  if (outcome.kind === 'pending') return { ...base, status: 100 }
  if (outcome.kind === 'dropped') return { ...base, status: 400 }
  const { receipt, success, logs = receipt.logs } = outcome
  const answer: CallsReceipt = {
    logs: logs.map(({ address, data, topics }) => ({ address, data, topics: topics as readonly Hex[] })),
    status: success ? '0x1' : '0x0',
    blockHash: receipt.blockHash,
    blockNumber: receipt.blockNumber,
    gasUsed: receipt.gasUsed,
    transactionHash: receipt.transactionHash,
  }
  return { ...base, status: success ? 200 : 500, receipts: [answer] }
}

/**
 * The ERC-5792 status of calls sent as one transaction, `hash`, read from the node behind `transport`.
 *
 * @example
 * execute.getCallsStatus = ({ id, chainId, inner }) => transactionCallsStatus(custom(inner), id as Hex, chainId)
 */
export async function transactionCallsStatus(transport: Transport, hash: Hex, chainId: number): Promise<CallsStatus> {
  const { request } = transport({ chain: undefined, retryCount: 0 })
  const receipt = (await request({ method: 'eth_getTransactionReceipt', params: [hash] })) as RpcTransactionReceipt | null
  if (receipt) return callsStatusOf(hash, chainId, { kind: 'mined', success: receipt.status === '0x1', receipt })
  // A transaction the node no longer holds was dropped: it will never land.
  const known = await request({ method: 'eth_getTransactionByHash', params: [hash] })
  return callsStatusOf(hash, chainId, known ? { kind: 'pending' } : { kind: 'dropped' })
}
