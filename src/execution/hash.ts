import type { Hex } from 'viem'
import { InternalError } from '../errors.js'
import type { ExecuteParameters, Executor } from './types.js'

/** A backend that hands over a hash for the session key to sign, then takes the signature back. */
export type HashExecutorOptions = {
  /** Asks the backend for what to sign (Openfort: create a transaction intent, read its `signableHash`). */
  prepare(parameters: Omit<ExecuteParameters, 'signer' | 'submitting'>): Promise<{ hash: Hex; intent: unknown }>
  /** Hands the signature back (Openfort: sign the intent); resolves to the calls id. */
  submit(parameters: { intent: unknown; signature: Hex }): Promise<{ id: string }>
  /**
   * How the key signs the hash: `'eip191'` (default), as an EIP-191 message over its raw 32
   * bytes (`signMessage({ message: { raw } })`); `'raw'`, the 32 bytes themselves, as
   * accounts that check the hash as it is need (Openfort's EIP-7702 "Delegated Account").
   */
  signature?: 'eip191' | 'raw' | undefined
}

/**
 * An executor for backends that give a hash to sign, like Openfort's transaction intents:
 * the session key signs it (as an EIP-191 message over the raw 32 bytes by default, as
 * Openfort's own examples do) and the signature goes back.
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
    let signature: Hex
    if (options.signature === 'raw') {
      if (!/^0x[0-9a-fA-F]{64}$/.test(hash)) throw new InternalError('the backend gave a hash that is not 32 bytes; a raw signature needs one')
      if (!signer.sign) throw new InternalError('the session signer cannot sign a raw hash')
      signature = await signer.sign({ hash })
    } else signature = await signer.signMessage({ message: { raw: hash } })
    submitting()
    return options.submit({ intent, signature })
  }
}
