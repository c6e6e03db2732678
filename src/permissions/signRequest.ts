import { hexToBytes, isHex, size, type Address } from 'viem'
import type { Session, SessionSigning } from '../sessions/types.js'
import type { Fields } from './read.js'

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
// Typed data is walked to find addresses; beyond this many values it is refused, not skimmed.
const maxValues = 10_000

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
  if (found === 'too-large') return `it holds more than ${maxValues} values, too many to inspect`
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

/** The first string among `roots` (walked deeply) that is one of `addresses`; `'too-large'` past the budget. */
function findAddress(roots: readonly unknown[], addresses: ReadonlyMap<string, string>): Address | 'too-large' | undefined {
  const pending: unknown[] = [...roots]
  for (let seen = 0; pending.length > 0; seen++) {
    if (seen > maxValues) return 'too-large'
    const value = pending.pop()
    if (typeof value === 'string') {
      // An address may sit inside a longer value (bytes, an ABI word, a sentence): look everywhere.
      const hex = value.toLowerCase()
      for (let at = 0; at + 40 <= hex.length; at++) {
        const candidate = `0x${hex.slice(at, at + 40)}`
        if (addresses.has(candidate)) return candidate as Address
      }
    } else if (typeof value === 'object' && value !== null) pending.push(...Object.values(value))
  }
  return undefined
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

