import { isHex, type Hex, type TypedDataDefinition } from 'viem'
import { InvalidParamsError, UnauthorizedError } from '../errors.js'
import type { SigningOptions } from '../options.js'
import type { MethodContext } from '../methods/types.js'
import { sessionSigner, type SessionKeyOf, type SessionSignerReturnType } from '../sessions/sessionSigner.js'
import type { SessionSigning } from '../sessions/types.js'
import { describe, readBoolean } from './read.js'
import { assertMessageSize, authorisation, messageKind, optedIn, readSignableTypedData, type SignKind } from './signRequest.js'

/**
 * The `signing` option of `withSessionKeys`, as {@link sessionSigning} makes it: the kinds
 * session keys may sign, and the classifier that reads each sign request (a hash or text, typed
 * data that would authorise calls or spending). Only an app that passes one bundles it.
 *
 * @example
 * const signing: SessionSigningOption = sessionSigning({ hashes: true })
 */
export type SessionSigningOption = {
  /** What session keys may sign, as opted into (only what is on). */
  readonly kinds: Readonly<SessionSigning>
  /** @internal Signs `personal_sign`'s `message` with session key `address`, or throws why not. */
  readonly personalSign: (context: MethodContext, address: Hex, key: SessionKeyOf, message: string) => Promise<Hex>
  /** @internal Signs `eth_signTypedData_v4`'s `payload` with session key `address`, or throws why not. */
  readonly signTypedData: (context: MethodContext, address: Hex, key: SessionKeyOf, payload: unknown) => Promise<Hex>
}

const kindNames = ['hashes', 'messages', 'typedData'] as const satisfies readonly SignKind[]

/**
 * Lets session keys sign, through `personal_sign` and `eth_signTypedData_v4` from their address,
 * the kinds of {@link SigningOptions} turned on; pass it as `signing`. Without it, every sign
 * request from a session key's address is refused (4100) unread, and this code is not bundled.
 * With it, each request is read within `signLimits` (-32602 past them), classified, and signed
 * only if its kind is on here and was on when each session of the key was granted. Typed data
 * that authorises calls or spending by the account is refused whatever is on.
 *
 * @example
 * import { sessionSigning, withSessionKeys } from 'keyleash'
 * import { openfort } from 'keyleash/wallets'
 *
 * // The seed's step 4: the session key signs Openfort's `signableHash`.
 * const provider = withSessionKeys(inner, { wallet: openfort, signing: sessionSigning({ hashes: true }) })
 */
export function sessionSigning(options: SigningOptions): SessionSigningOption {
  if (typeof options !== 'object' || options === null)
    throw new InvalidParamsError('signing', `must be made by sessionSigning({ hashes?, messages?, typedData? }), got sessionSigning(${describe(options)})`)
  const kinds: SessionSigning = {}
  for (const kind of kindNames) {
    if (options[kind] !== undefined && readBoolean(options[kind], `signing.${kind}`)) kinds[kind] = true
  }
  const extra = Object.keys(options).find((key) => !(kindNames as readonly string[]).includes(key))
  if (extra !== undefined) throw new InvalidParamsError(`signing.${extra}`, `is not a kind of signing: ${kindNames.join(', ')}`)
  const assertOn = (kind: SignKind, { sessions }: SessionSignerReturnType, address: Hex) => {
    if (!optedIn(kind, kinds, sessions)) throw notOptedIn(address, sessions[0]?.id, { kind, text: kindTexts[kind] })
  }
  return Object.freeze({
    kinds: Object.freeze(kinds),
    async personalSign(context, address, keyOf, message) {
      const key = await sessionSigner(context, address, keyOf)
      assertMessageSize(message, 'params[0]')
      assertOn(messageKind(message), key, address)
      return key.signer.signMessage({ message: isHex(message) ? { raw: message } : message })
    },
    async signTypedData(context, address, keyOf, payload) {
      const key = await sessionSigner(context, address, keyOf)
      const typedData = readSignableTypedData(payload, 'params[1]')
      const why = authorisation(typedData, key.sessions)
      if (why !== undefined)
        throw new UnauthorizedError(`${address} is a session key, and this typed data would authorise calls or spending by the account: ${why}. A session key signs those only for calls keyleash has checked`, {
          field: 'params[1]',
          context: key.sessions[0]?.id,
          hint: "send the calls with wallet_sendCalls and the session's context; keyleash checks them against the grant and signs what the wallet prepares",
        })
      assertOn('typedData', key, address)
      const { domain, types, primaryType, message } = typedData
      // viem derives the domain's type from the domain itself.
      const { EIP712Domain: _, ...rest } = types
      return key.signer.signTypedData({ domain, types: rest, primaryType, message } as TypedDataDefinition)
    },
  } satisfies SessionSigningOption)
}

const kindTexts: Record<SignKind, string> = {
  hashes: 'raw bytes or a hash',
  messages: 'a text message',
  typedData: 'typed data',
}

/**
 * The 4100 for a sign request from session key `address`: keyleash signs with a session key only
 * calls it has checked, and `refused` (a kind and its text) was not opted into, now or when
 * session `context` was granted. Without `refused`: there is no `signing` option, and the
 * request is not even read (the kinds' texts are the opt-in's, bundled with it).
 *
 * @example
 * throw notOptedIn(address, found.sessions[0]?.id) // no signing option: refused unread
 */
export function notOptedIn(address: Hex, context: string | undefined, refused?: { kind: SignKind; text: string }): UnauthorizedError {
  const what = refused ? `${refused.text} is not checked` : 'this provider signs nothing else with session keys, so it did not read this request'
  return new UnauthorizedError(
    `${address} is a session key: keyleash signs with it only calls it has checked against the grant (wallet_sendCalls with the session's context), and ${what}; it could authorise anything the account accepts from the key`,
    {
      field: 'address',
      context,
      hint: `to let session keys sign ${refused?.text ?? 'hashes, text or typed data'}, make the provider with withSessionKeys(inner, { signing: sessionSigning({ ${refused?.kind ?? 'hashes'}: true }) }) (sessionSigning from keyleash) and grant the session under it; the wallet's own limits on the key are then the only ones`,
    },
  )
}
