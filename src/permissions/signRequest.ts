import { hexToBytes, isHex, size, type Address } from 'viem'
import { InvalidParamsError } from '../errors.js'
import type { Session, SessionSigning } from '../sessions/types.js'
import { describe, readArray, readObject, readString, readTypedData, type Fields } from './read.js'

/**
 * What a session key is asked to sign outside the calls keyleash checks, by the opt-in it needs:
 * `hashes` (opaque bytes, a raw 32-byte hash above all), `messages` (readable text) or
 * `typedData` (EIP-712).
 */
export type SignKind = keyof SessionSigning

/**
 * Permit2, at the same address on every chain: typed data it verifies moves the signer's tokens.
 * @see https://github.com/Uniswap/permit2
 */
export const permit2Address = '0x000000000022d473030f116ddee9f6b43ac78ba3'

/**
 * The kind of a `personal_sign` message. Exactly 32 bytes is a hash whatever its bytes look like,
 * sent as hex or as text: its EIP-191 signature is the very one a digest of those bytes gets,
 * and about one digest in 2^35.6 is printable UTF-8, few enough to grind for. Other hex is text
 * only when it is valid UTF-8 without control characters and quotes no 32-byte hex (a hash
 * written out as text is still a hash).
 *
 * @example
 * messageKind(keccak256('0x01')) // 'hashes'
 * messageKind('an exactly thirty-two-byte text!') // 'hashes'
 * messageKind(stringToHex('Sign in to example.com')) // 'messages'
 */
export function messageKind(message: string): Extract<SignKind, 'hashes' | 'messages'> {
  if (!isHex(message)) return digestLength(message) || !looksLikeText(message) ? 'hashes' : 'messages'
  if (message.length % 2 !== 0 || size(message) === 32) return 'hashes'
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(hexToBytes(message))
  } catch {
    return 'hashes'
  }
  return looksLikeText(text) ? 'messages' : 'hashes'
}

function digestLength(text: string): boolean {
  // UTF-8 takes 1 to 3 bytes per UTF-16 unit: only texts of 11 to 32 units can be 32 bytes.
  return text.length >= 11 && text.length <= 32 && new TextEncoder().encode(text).length === 32
}

function looksLikeText(text: string): boolean {
  // Tab, line feed and carriage return are text; every other control character is not.
  return !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text) && !/[0-9a-fA-F]{64}/.test(text)
}

// Struct names of typed data that authorise calls or token movements: accounts' Execute/Call and
// user operations, Safe transactions, delegations, EIP-2612/DAI Permit and every Permit2 struct,
// orders and transfers. Matched anywhere in a name, case-insensitively: a renamed struct verifies
// nowhere, so a false match only refuses, never widens.
const authorisingStructs = /permit|execut|call|userop|useroperation|safetx|delegat|transfer|approv|allowance|spend|withdraw|order|batch/i
// Fields that name who may move what: a struct with one is about someone's assets.
const authorisingFields = /^(spender|owner|holder|allowed|operator|delegate|delegator|calls?|calldata|executor)$/i

/**
 * Why typed data would authorise calls or spending by the accounts of `sessions`, or `undefined`
 * when keyleash sees nothing of the kind. Such typed data is signed by a session key only on a
 * path where keyleash checked the calls (the executor), never through `eth_signTypedData_v4`,
 * whatever the app opted into. It is recognised by:
 * - a struct or field name of the authorising kinds (Execute, Call, Permit, PermitSingle,
 *   PermitBatch, PermitTransferFrom, PermitWitnessTransferFrom, SafeTx, Delegation, Order, …;
 *   spender, owner, holder, operator, calls …);
 * - the domain's `verifyingContract` being an account of the sessions, a contract or token they
 *   may call, or Permit2;
 * - any address in the domain or the message being one of those (a Permit's owner, a Permit2
 *   token, a transfer's target).
 *
 * It reads everything it is given: give it typed data {@link readSignableTypedData} bounded.
 *
 * @example
 * authorisation({ domain, types, primaryType: 'Permit', message }, [session]) // 'its struct "Permit" …'
 */
export function authorisation(typedData: Fields & { types: Fields }, sessions: readonly Session[]): string | undefined {
  const { types, primaryType, domain } = typedData
  const structs = [...new Set([...(typeof primaryType === 'string' ? [primaryType] : []), ...Object.keys(types).filter((name) => name !== 'EIP712Domain')])]
  const struct = structs.find((name) => authorisingStructs.test(name))
  if (struct !== undefined) return `its struct "${struct.slice(0, 40)}" is of a kind that authorises calls or token movements`
  for (const name of structs) {
    const fields = types[name]
    const field = Array.isArray(fields) ? fields.find((entry: unknown) => authorisingFields.test(String((entry as Fields | null)?.name))) : undefined
    if (field !== undefined) return `its struct "${name.slice(0, 40)}" has a field "${String((field as Fields).name)}", which names who may move assets`
  }
  const touched = touchedAddresses(sessions)
  const verifyingContract = (domain as Fields | undefined)?.verifyingContract
  if (typeof verifyingContract === 'string' && touched.has(verifyingContract.toLowerCase()))
    return `its domain's verifyingContract ${verifyingContract} is ${touched.get(verifyingContract.toLowerCase())}`
  const found = findAddress([domain, typedData.message], touched)
  if (found !== undefined) return `it names ${found}, which is ${touched.get(found.toLowerCase())}`
  return undefined
}

/**
 * The addresses a signature could act on: the accounts, the contracts and tokens the sessions
 * may call, Permit2, and the session key itself (typed data naming the signer as payee, relayer
 * or maker, such as EIP-3009's ReceiveWithAuthorization or a forwarder's request, moves what
 * the key holds: its gas money under erc7710Executor, tokens an app paid it).
 */
function touchedAddresses(sessions: readonly Session[]): Map<string, string> {
  const touched = new Map<string, string>([[permit2Address, 'Permit2']])
  for (const session of sessions) {
    touched.set(session.account.toLowerCase(), 'the account of the session')
    if (session.keyAddress !== undefined) touched.set(session.keyAddress.toLowerCase(), 'the session key itself')
    for (const permission of session.permissions) {
      if (permission.type === 'contract-call') touched.set(permission.target.toLowerCase(), 'a contract the session may call')
      else if (permission.type === 'erc20-transfer') touched.set(permission.token.toLowerCase(), 'a token the session may spend')
    }
  }
  return touched
}

/** The first string among `roots` (walked deeply) that is one of `addresses`. */
function findAddress(roots: readonly unknown[], addresses: ReadonlyMap<string, string>): Address | undefined {
  const pending: unknown[] = [...roots]
  while (pending.length > 0) {
    const value = pending.pop()
    if (typeof value === 'string') {
      // An address may sit inside a longer value (bytes, an ABI word, a sentence): look everywhere.
      const hex = value.toLowerCase()
      for (let at = 0; at + 40 <= hex.length; at++) {
        const candidate = `0x${hex.slice(at, at + 40)}`
        if (addresses.has(candidate)) return candidate as Address
      }
    } else if (typeof value === 'object' && value !== null) for (const key in value) pending.push((value as Fields)[key])
  }
  return undefined
}

/**
 * How much of a sign request from a session key keyleash reads: beyond these it is refused
 * (-32602) before anything classifies it, so no request, however hostile its shape (a huge
 * string, deep nesting, a million-element array), holds the event loop. Sign-in texts and
 * typed data of real apps (a Seaport order, a Permit2 batch) are a few kilobytes and a few
 * hundred values.
 */
export const signLimits = {
  /** Characters of a `personal_sign` message, or of `eth_signTypedData_v4`'s JSON; of all strings of typed data given as an object, keys included. */
  characters: 32_768,
  /** Values in typed data (strings, numbers, array items, struct fields, …): EIP-712 hashing costs tens of µs each. */
  values: 512,
  /** Levels of nesting in typed data. */
  depth: 32,
} as const

/**
 * Throws -32602 unless a `personal_sign` message is within {@link signLimits}: checked before
 * its kind is read.
 *
 * @example
 * assertMessageSize(message, 'params[0]')
 */
export function assertMessageSize(message: string, field: string): void {
  if (message.length > signLimits.characters) throw overLimit(field, `${signLimits.characters} characters`)
}

/**
 * `eth_signTypedData_v4`'s typed data (JSON or an object), read within {@link signLimits} and
 * no further: the JSON's length first, then only what EIP-712 signs, led by `types` from
 * `primaryType` (its structs and their fields by name, arrays by their length, the domain's five
 * fields), never by enumerating what the request holds. A million-element array or a million
 * keys cost nothing; the answer holds only what the signature covers, so the classifier and
 * the signer read no more either. Past a limit, or shaped unlike its types: -32602.
 *
 * @see https://eips.ethereum.org/EIPS/eip-712
 * @example
 * const typedData = readSignableTypedData(params[1], 'params[1]')
 */
export function readSignableTypedData(payload: unknown, field: string): Fields & { types: Fields } {
  if (typeof payload === 'string' && payload.length > signLimits.characters) throw overLimit(field, `${signLimits.characters} characters of JSON`)
  const typedData = readTypedData(payload, field)
  let values = 0
  let characters = 0
  const room = (more: number) => {
    if ((values += more) > signLimits.values) throw overLimit(field, `${signLimits.values} values`)
  }
  const atomic = (value: unknown, path: string, type: string) => {
    room(1)
    if (typeof value === 'string') {
      if ((characters += value.length) > signLimits.characters) throw overLimit(field, `${signLimits.characters} characters in all`)
    } else if (typeof value !== 'number' && typeof value !== 'bigint' && typeof value !== 'boolean')
      throw new InvalidParamsError(path, `must be a value of type ${type.slice(0, 40)}, got ${describe(value)}`)
    return value
  }
  const structs: Record<string, { name: string; type: string }[]> = {}
  const structOf = (name: string) => {
    if (Object.hasOwn(structs, name)) return structs[name]
    const fields = Object.hasOwn(typedData.types, name) ? typedData.types[name] : undefined
    if (!Array.isArray(fields)) return undefined
    room(fields.length)
    const path = `${field}.types.${name.slice(0, 40)}`
    return (structs[name] = fields.map((entry: unknown, i) => {
      const { name, type } = readObject(entry, `${path}[${i}]`)
      return { name: readString(atomic(name, `${path}[${i}].name`, 'string'), `${path}[${i}].name`), type: readString(atomic(type, `${path}[${i}].type`, 'string'), `${path}[${i}].type`) }
    }))
  }
  const project = (type: string, value: unknown, path: string, depth: number): unknown => {
    if (depth > signLimits.depth) throw overLimit(field, `${signLimits.depth} levels of nesting`)
    const array = /^(.+)\[\d*\]$/.exec(type)
    if (array) {
      // Refused by its length alone: a million-element array is never iterated. Its items count as they are read.
      if (values + readArray(value, path).length > signLimits.values) throw overLimit(field, `${signLimits.values} values`)
      return (value as unknown[]).map((item, i) => project(array[1] as string, item, `${path}[${i}]`, depth + 1))
    }
    const struct = structOf(type)
    if (struct === undefined) return atomic(value, path, type)
    const fields = readObject(value, path)
    return Object.fromEntries(struct.map(({ name, type }) => [name, project(type, Object.hasOwn(fields, name) ? fields[name] : undefined, `${path}.${name}`, depth + 1)]))
  }
  const primaryType = readString(atomic(typedData.primaryType, `${field}.primaryType`, 'string'), `${field}.primaryType`)
  if (structOf(primaryType) === undefined) throw new InvalidParamsError(`${field}.primaryType`, `names no struct of ${field}.types`)
  const given = typedData.domain === undefined ? {} : readObject(typedData.domain, `${field}.domain`)
  const domain: Record<string, unknown> = {}
  for (const name of domainFields) if (Object.hasOwn(given, name) && given[name] !== undefined) domain[name] = atomic(given[name], `${field}.domain.${name}`, name)
  const message = project(primaryType, typedData.message, `${field}.message`, 1)
  const { EIP712Domain: _, ...types } = structs
  return { domain, types, primaryType, message }
}

// What EIP-712 signs of a domain (viem derives the domain's type from these, as wallets do).
const domainFields = ['name', 'version', 'chainId', 'verifyingContract', 'salt'] as const

function overLimit(field: string, limit: string): InvalidParamsError {
  return new InvalidParamsError(field, `is over the limit of ${limit} on what a session key signs; keyleash refused it unread`, {
    hint: 'sign a hash of the content (signing.hashes), or ask the wallet, from the account itself',
  })
}

/**
 * The opt-in `kind` holds for a sign request by a key of `sessions`: the provider allows it now
 * and every session of the key was granted under it (a signature is valid for each of them).
 *
 * @example
 * optedIn('hashes', context.options.signing, sessions) // false unless both said { hashes: true }
 */
export function optedIn(kind: SignKind, provider: SessionSigning, sessions: readonly Pick<Session, 'signing'>[]): boolean {
  return provider[kind] === true && sessions.every((session) => session.signing?.[kind] === true)
}

