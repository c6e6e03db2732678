import type { LocalAccount } from 'viem'
import type { ScopeCall } from '../permissions/scope.js'
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
  /** Signs with the session key; the key itself is never handed out. */
  signer: LocalAccount
  /**
   * Call right before the signed calls leave for anyone who could execute them (the wallet, a
   * backend, the chain). A failure before it gives the reserved usage back; a failure after it
   * keeps it, because the calls may have gone through.
   */
  submitting(): void
}

/** What an executor answers: an ERC-5792 calls id the app can ask `wallet_getCallsStatus` about. */
export type ExecuteReturnType = { id: string }

/**
 * The seam between "these calls are allowed" and "these calls happened": makes the session key
 * sign what the account needs and gets it submitted. A failure must throw (coded where it can);
 * the middleware releases the usage it reserved only if the executor had not yet called
 * `submitting()`.
 *
 * @example
 * const myExecutor: Executor = async ({ calls, signer, submitting }) => {
 *   const { hash, submit } = await backend.prepare(calls)
 *   const signature = await signer.sign({ hash })
 *   submitting()
 *   return { id: await submit(signature) }
 * }
 */
export type Executor = (parameters: ExecuteParameters) => Promise<ExecuteReturnType>
