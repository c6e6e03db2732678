import type { Hex } from 'viem'
import type { ScopeCall } from '../permissions/scope.js'
import type { SessionKeySigner } from '../sessions/p256Key.js'
import type { Session } from '../sessions/types.js'
import type { Eip1193Provider } from '../types.js'

/** What an executor is handed: calls already checked against the session and reserved. */
export type ExecuteParameters = {
  /** The wrapped wallet, for executors that ask it to prepare and submit. */
  inner: Eip1193Provider
  session: Session
  calls: readonly ScopeCall[]
  /** The chain the calls go to. */
  chainId: number
  /**
   * Signs with the session key; the key itself is never handed out. A secp256k1 key is a viem
   * `LocalAccount` (`type: 'local'`); a P-256 key a `P256Signer` (`type: 'p256'`), which has
   * `sign({ hash })` and `signMessage` only. An executor that cannot use a P-256 key says so
   * in `secp256k1Only`.
   */
  signer: SessionKeySigner
  /**
   * Call right before the signed calls leave for anyone who could execute them (the wallet, a
   * backend, the chain). A failure before it gives the reserved usage back; a failure after it
   * keeps it, because the calls may have gone through.
   */
  submitting(): void
  /**
   * Call when calls handed on after `submitting()` were refused before anyone could execute them
   * (a bundler that rejected the UserOperation, a relayer's `handleOps` that reverted): the
   * reserved usage is given back, as for a failure before `submitting()`.
   */
  refused?(): void
  /**
   * Call with the calls id as soon as it exists (the signed calls were handed on): keyleash
   * answers `wallet_getCallsStatus` for it from then on, so an error thrown after (not on chain
   * in time, a receipt not read) can name the id for the app to ask about later. An executor
   * without `getCallsStatus` need not call it: its ids are the wallet's.
   */
  sentAs?(id: string): void
}

/** What an executor answers: an ERC-5792 calls id the app can ask `wallet_getCallsStatus` about. */
export type ExecuteReturnType = { id: string }

/** One receipt of an ERC-5792 status: the fields of a transaction receipt the EIP names, as the node gives them. */
export type CallsReceipt = {
  logs: readonly { address: Hex; data: Hex; topics: readonly Hex[] }[]
  /** `0x1` success, `0x0` failure. */
  status: Hex
  blockHash: Hex
  blockNumber: Hex
  gasUsed: Hex
  transactionHash: Hex
}

/**
 * ERC-5792 (v2) `wallet_getCallsStatus` answer. `status`: 100 pending, 200 confirmed, 400 not
 * included and never will be, 500 reverted entirely, 600 reverted in part.
 */
export type CallsStatus = {
  version: '2.0.0'
  id: string
  chainId: Hex
  status: 100 | 200 | 400 | 500 | 600
  /** Whether the calls ran as one unit: all of them or none. */
  atomic: boolean
  receipts?: readonly CallsReceipt[] | undefined
  capabilities?: Record<string, unknown> | undefined
}

/** What an executor's `getCallsStatus` is handed: an id it answered, and the chain it sent it to. */
export type GetCallsStatusParameters = {
  id: string
  chainId: number
  /** The wrapped wallet, for executors that read the chain through it. */
  inner: Eip1193Provider
}

/**
 * The seam between "these calls are allowed" and "these calls happened": makes the session key
 * sign what the account needs and gets it submitted. A failure must throw (coded where it can);
 * the middleware releases the usage it reserved only if the executor had not yet called
 * `submitting()`.
 *
 * An executor that makes its own calls ids (it sent a transaction or a UserOperation itself, so
 * the wallet never heard of them) says how to read their status with `getCallsStatus`: keyleash
 * then answers `wallet_getCallsStatus` for the ids it returned, and every other id still goes to
 * the wallet. Without it, the id is the wallet's (ERC-7836's `wallet_sendPreparedCalls`) and the
 * wallet answers.
 *
 * @example
 * const myExecutor: Executor = async ({ calls, signer, submitting }) => {
 *   const { hash, submit } = await backend.prepare(calls)
 *   const signature = await signer.sign({ hash })
 *   submitting()
 *   return { id: await submit(signature) }
 * }
 */
export type Executor = {
  (parameters: ExecuteParameters): Promise<ExecuteReturnType>
  /** ERC-5792 status of calls `id`, which this executor answered. */
  getCallsStatus?: ((parameters: GetCallsStatusParameters) => Promise<CallsStatus>) | undefined
  /**
   * Set on an executor that signs with secp256k1 keys only: why, and what to do instead.
   * `withSessionKeys` refuses it with `keyType: p256Keys()` when the provider is made.
   */
  readonly secp256k1Only?: string | undefined
}
