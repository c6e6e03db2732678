import { numberToHex, type Hex } from 'viem'
import { InternalError, InvalidParamsError } from '../errors.js'
import { readObject, readString } from '../permissions/read.js'
import type { ScopeCall } from '../permissions/scope.js'
import type { Executor } from './types.js'

/**
 * The default executor, ERC-7836: the wallet prepares the batch for its own account
 * (`wallet_prepareCalls`) and says what to sign (`digest`), the session key signs it, and the
 * wallet submits it (`wallet_sendPreparedCalls`). Works with any account implementation the
 * wallet knows, which is the point of ERC-7836. A P-256 key signs the digest as WebCrypto does
 * (SHA-256 of its 32 bytes, then ECDSA, `r ‖ s`) and is named `{ type: 'p256', publicKey }`.
 *
 * @see https://eips.ethereum.org/EIPS/eip-7836
 * @example
 * const provider = withSessionKeys(inner, { executor: erc7836Executor() })
 */
export function erc7836Executor(): Executor {
  return async ({ inner, session, calls, chainId, signer, submitting }) => {
    // ERC-7836 names the key by its type: a P-256 key by its point, a secp256k1 one by its address.
    const key = signer.type === 'p256' ? { type: 'p256', publicKey: signer.publicKey } : { type: 'secp256k1', publicKey: signer.address }
    // Not viem's numberToHex: its size and sign checks cost more than this on every send, for a positive safe integer.
    const chain = `0x${chainId.toString(16)}`
    const answer = await inner.request({
      method: 'wallet_prepareCalls',
      params: [
        {
          version: '1.0',
          from: session.account,
          chainId: chain,
          calls: calls.map(walletCall),
          capabilities: { permissions: { context: session.id } },
          key,
        },
      ],
    })
    const prepared = fromWallet(() => readObject(answer, 'wallet_prepareCalls result'))
    const digest = fromWallet(() => readString(prepared.digest, 'wallet_prepareCalls result.digest')) as Hex
    if (!digestShape.test(digest)) throw new InternalError('wallet_prepareCalls answered a digest that is not 32 bytes')
    if (!signer.sign) throw new InternalError('the session signer cannot sign a raw digest')
    const signature = await signer.sign({ hash: digest })
    submitting()
    const sent = await inner.request({
      method: 'wallet_sendPreparedCalls',
      params: [{ chainId: prepared.chainId ?? chain, context: prepared.context, key: prepared.key ?? key, signature }],
    })
    // ERC-7836 drafts answer `{ id }`; Porto answers `[{ id }]`.
    const id = fromWallet(() => readObject(Array.isArray(sent) ? sent[0] : sent, 'wallet_sendPreparedCalls result').id)
    return { id: fromWallet(() => readString(id, 'wallet_sendPreparedCalls result.id')) }
  }
}

// Made once: a regex literal is a new RegExp object each time it is evaluated, here on every send.
const digestShape = /^0x[0-9a-fA-F]{64}$/

/** A call as ERC-7836 has it: no `data` or `value` keys when there are none, the value as hex. */
function walletCall({ to, data, value }: ScopeCall): { to: Hex; data?: Hex; value?: Hex } {
  const call: { to: Hex; data?: Hex; value?: Hex } = { to }
  if (data) call.data = data
  if (value) call.value = numberToHex(value)
  return call
}

/** Reads a wallet's answer: one that cannot be read is the wallet's fault (-32603), not a -32602 about the app's request. */
function fromWallet<T>(read: () => T): T {
  try {
    return read()
  } catch (error) {
    if (!(error instanceof InvalidParamsError)) throw error
    throw new InternalError(`the wallet's answer cannot be read: ${error.message}`, { field: error.data?.field, hint: 'the wallet does not speak ERC-7836 as expected' })
  }
}
