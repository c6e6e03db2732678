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
export type Executor = ((parameters: ExecuteParameters) => Promise<ExecuteReturnType>) & {
  /**
   * Set on an executor that signs with secp256k1 keys only: why, and what to do instead.
   * `withSessionKeys` refuses it with `keyType: 'p256'` when the provider is made.
   */
  readonly secp256k1Only?: string | undefined
}
