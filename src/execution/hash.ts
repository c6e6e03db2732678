import type { Hex } from 'viem'
import type { ExecuteParameters, Executor } from './types.js'

/** A backend that hands over a hash for the session key to sign, then takes the signature back. */
export type HashExecutorOptions = {
  /** Asks the backend for what to sign (Openfort: create a transaction intent, read its `signableHash`). */
  prepare(parameters: Omit<ExecuteParameters, 'signer' | 'submitting'>): Promise<{ hash: Hex; intent: unknown }>
  /** Hands the signature back (Openfort: sign the intent); resolves to the calls id. */
  submit(parameters: { intent: unknown; signature: Hex }): Promise<{ id: string }>
}

/**
 * An executor for backends that give a hash to sign, like Openfort's transaction intents:
 * the session key signs it as an EIP-191 message over the raw 32 bytes
 * (`signMessage({ message: { raw } })`), as Openfort's own examples do.
 *
 * @example
 * const executor = hashExecutor({
 *   prepare: async ({ calls }) => {
 *     const intent = await backend.createTransactionIntent(calls)
 *     return { hash: intent.nextAction.payload.signableHash, intent }
 *   },
 *   submit: async ({ intent, signature }) => ({ id: (await backend.signature(intent.id, signature)).id }),
 * })
 */
export function hashExecutor(options: HashExecutorOptions): Executor {
  return async ({ signer, submitting, ...parameters }) => {
    const { hash, intent } = await options.prepare(parameters)
    const signature = await signer.signMessage({ message: { raw: hash } })
    submitting()
    return options.submit({ intent, signature })
  }
}
