import { InternalError, InvalidParamsError } from '../../errors.js'
import { enforcedBy } from '../../permissions/enforcement.js'
import type { Session } from '../types.js'
import type { RecordAuth } from './recordAuth.js'

/**
 * The codec every persistent store writes with: a {@link Session} to a JSON string and back,
 * losslessly. JSON alone loses bigints (usage, allowances, gas limits), `undefined` members
 * (`keyAddress: undefined` is a session that signs nothing) and non-finite numbers, and a
 * reload that loses a setting is a known bug class elsewhere; so those are written as tagged
 * objects `{ "$t": "<tag>", ... }`. An app object that happens to have a `$t` member itself is
 * wrapped (`{ "$t": "object", "v": … }`) so it cannot be mistaken for a tag.
 *
 * Wallet data and custom permission data are `unknown`: plain data (what JSON-RPC carries,
 * plus bigints, `Uint8Array`s and `Date`s) is kept exactly; anything else (a function, a
 * `Map`, a class instance) is refused at write time, naming where it is, rather than stored
 * as something else.
 */
const formatVersion = 1

/** What `JSON.stringify` writes and `JSON.parse` reads back as it was. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

/**
 * A session as the JSON string persistent stores keep.
 *
 * @example
 * const text = encodeSession(session) // '{"v":1,"session":{…,"usage":{"native":{"$t":"bigint","v":"5"},…}}}'
 */
export function encodeSession(session: Session): string {
  return JSON.stringify({ v: formatVersion, session: toJson(session, `session ${session.id}`) })
}

/**
 * Reads what {@link encodeSession} wrote, checking the shape so that a damaged entry is
 * refused (with an {@link InternalError} that says what is wrong) instead of handed on.
 *
 * @example
 * const session = decodeSession(encodeSession(session)) // deep-equal to `session`
 */
export function decodeSession(text: string): Session {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    // The JSON error quotes the text it choked on: never pass that on (a key could be near).
    throw new InternalError('the entry is not valid JSON (truncated or overwritten)')
  }
  if (!isRecord(parsed) || parsed.v !== formatVersion || !isRecord(parsed.session))
    throw new InternalError(`the entry is not a keyleash session of format ${formatVersion}`)
  const session = fromJson(parsed.session)
  assertSession(session)
  // Written before sessions said who enforces what: nothing is known to be held by the wallet.
  return session.enforcedBy === undefined ? { ...session, enforcedBy: enforcedBy([]) } : session
}

/**
 * A session as a store keeps it: {@link encodeSession}'s text, with the tag of `auth` appended
 * (`{"v":1,"session":{…},"tag":"<64 hex>"}`) when the store has a key to authenticate with. The
 * tag covers the exact text and the entry's id, so no byte of a record can change, and no record
 * can move to another id, without the key.
 *
 * @example
 * const value = await sealRecord(session, cipher.records)
 */
export async function sealRecord(session: Session, auth: RecordAuth | undefined): Promise<string> {
  const text = encodeSession(session)
  if (auth === undefined) return text
  return `${text.slice(0, -1)},"tag":"${await auth.tag(tagged(session.id, text))}"}`
}

/**
 * Reads what {@link sealRecord} wrote under `id`. With `auth`, a record whose tag is missing or
 * does not verify is refused (an {@link InternalError} naming why, never quoting the record).
 *
 * @example
 * const session = await openRecord(id, value, cipher.records)
 */
export async function openRecord(id: string, value: string, auth: RecordAuth | undefined): Promise<Session> {
  if (auth !== undefined) {
    const tag = tagOf(value)
    if (tag === undefined) throw new InternalError('the entry carries no authentication tag, and the store has an encryptionKey: it was not written by this store')
    if (!(await auth.verify(tagged(id, `${value.slice(0, value.length - tagSuffixLength)}}`), tag)))
      throw new InternalError('the entry fails its authentication tag: it was altered, or written under another id or encryptionKey')
  }
  // Parsed with its tag (the codec passes `tag` over): a copy without it cost a string per record, 70 MiB at 100,000 records.
  return decodeSession(value)
}

/**
 * The authentication tag a record {@link sealRecord} wrote ends with, unchecked; `undefined`
 * when it ends with none. A tag names its record's exact text and id: two records with one tag
 * are one record (or a forgery, which needs the key).
 *
 * @example
 * tagOf(await sealRecord(session, auth)) // 'a3f1…' (64 hex)
 */
export function tagOf(value: string): string | undefined {
  const at = value.length - tagSuffixLength
  const tag = value.slice(at + tagPrefix.length, -2)
  return at >= 0 && value.startsWith(tagPrefix, at) && value.endsWith('"}') && tagShape.test(tag) ? tag : undefined
}

/**
 * Whether `value` ends with the tag `tag` (as {@link tagOf} would read it, without the copy).
 *
 * @example
 * hasTag(value, tagOf(value)!) // true
 */
export function hasTag(value: string, tag: string): boolean {
  const at = value.length - tagSuffixLength
  // A slice compared, not `startsWith(tag, …)`: that took twice as long over 100,000 records.
  return at >= 0 && value.endsWith('"}') && value.startsWith(tagPrefix, at) && value.slice(at + tagPrefix.length, -2) === tag
}

// A sealed record ends `,"tag":"<64 hex>"}`, always this long.
const tagPrefix = ',"tag":"'
const tagSuffixLength = tagPrefix.length + 64 + 2
/**
 * The form of a record's tag (and a checkpoint's): 64 lower-case hex characters, what `recordAuth.ts` makes.
 *
 * @example
 * tagShape.test(tagOf(value) ?? '') // true for a sealed record
 */
export const tagShape = /^[0-9a-f]{64}$/
const tagSuffix = /,"tag":"([0-9a-f]{64})"\}$/

/**
 * What a stored record claims, its tag not checked: for a revoke only (revoking never widens
 * what a session may do), never to sign or to answer a read. `undefined` when it does not decode.
 *
 * @example
 * const claimed = claimedRecord(value) // { id: '0x01', expiry: 1800000000, … }, unverified
 */
export function claimedRecord(value: string): Session | undefined {
  try {
    return decodeSession(value.replace(tagSuffix, '}'))
  } catch {
    return undefined
  }
}

function tagged(id: string, text: string): string {
  return `keyleash/session\u0000${id}\u0000${text}`
}

/**
 * `value` as JSON the codec can read back exactly (see {@link encodeSession}); refuses what is
 * not plain data, naming `path`.
 *
 * @example
 * JSON.stringify(toJson(5n, 'usage.native')) // '{"$t":"bigint","v":"5"}'
 */
export function toJson(value: unknown, path: string): Json {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0) ? value : { $t: 'number', v: String(Object.is(value, -0) ? '-0' : value) }
    case 'bigint':
      return { $t: 'bigint', v: value.toString() }
    case 'undefined':
      return { $t: 'undefined' }
    case 'object': {
      if (value === null) return null
      if (Array.isArray(value)) return value.map((item, i) => toJson(item, `${path}[${i}]`))
      if (value instanceof Uint8Array) return { $t: 'bytes', v: Array.from(value, (byte) => byte.toString(16).padStart(2, '0')).join('') }
      if (value instanceof Date) return { $t: 'date', v: value.getTime() }
      const proto = Object.getPrototypeOf(value) as unknown
      if (proto !== Object.prototype && proto !== null) break
      const out: Record<string, Json> = {}
      for (const [key, item] of Object.entries(value)) out[key] = toJson(item, `${path}.${key}`)
      return Object.hasOwn(out, '$t') ? { $t: 'object', v: out } : out
    }
  }
  throw new InvalidParamsError(path, `cannot be stored: ${describe(value)} is not plain data (use strings, numbers, bigints, arrays and plain objects)`)
}

/**
 * What {@link toJson} made, as it was: tagged values revived, in place. `value` is fresh from
 * `JSON.parse` and held by nothing else, so it is changed where it is rather than copied: at
 * 100,000 sessions a copy of every object was most of what a first `list()` spent decoding.
 *
 * @example
 * fromJson(JSON.parse('{"$t":"bigint","v":"5"}')) // 5n
 */
export function fromJson(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value
  if (Array.isArray(value)) {
    // By index: `for…in` over an array makes a string of every index.
    for (let i = 0; i < value.length; i++) value[i] = fromJson(value[i])
    return value
  }
  const record = value as Record<string, unknown>
  if (typeof record.$t === 'string') {
    const v = record.v
    switch (record.$t) {
      case 'bigint':
        if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v)
        break
      case 'undefined':
        return undefined
      case 'number':
        if (v === 'NaN' || v === 'Infinity' || v === '-Infinity' || v === '-0') return Number(v)
        break
      case 'bytes':
        if (typeof v === 'string' && /^(?:[0-9a-f]{2})*$/.test(v)) return Uint8Array.from(v.match(/../g) ?? [], (byte) => Number.parseInt(byte, 16))
        break
      case 'date':
        if (typeof v === 'number') return new Date(v)
        break
      case 'object':
        if (isRecord(v)) return revive(v)
        break
    }
    throw new InternalError(`the entry holds a malformed tagged value ($t: ${JSON.stringify(record.$t).slice(0, 40)})`)
  }
  return revive(record)
}

/**
 * The members of `value` through {@link fromJson}, in place. An own `__proto__`
 * member (JSON.parse makes one) is assigned as the data member it is, not the prototype.
 */
function revive(value: Record<string, unknown>): Record<string, unknown> {
  for (const key in value) {
    const item = value[key]
    // Only objects can hold a tagged value: a member that is none is left unwritten.
    if (typeof item === 'object' && item !== null) value[key] = fromJson(item)
  }
  return value
}

/** Enough of a shape check that what comes out can be used as a `Session` without crashing later. */
function assertSession(value: unknown): asserts value is Session {
  const fail = (field: string, rule: string): never => {
    throw new InternalError(`the stored session's ${field} ${rule}`)
  }
  if (!isRecord(value)) return fail('entry', 'is not an object')
  if (typeof value.id !== 'string' || value.id === '') fail('id', 'is not a non-empty string')
  if (!Number.isSafeInteger(value.chainId)) fail('chainId', 'is not an integer')
  if (typeof value.account !== 'string') fail('account', 'is not an address')
  if (!isRecord(value.signer) || typeof value.signer.type !== 'string') fail('signer', 'is not a signer')
  if (value.keyAddress !== undefined && typeof value.keyAddress !== 'string') fail('keyAddress', 'is not an address')
  if (typeof value.expiry !== 'number') fail('expiry', 'is not a number')
  if (!Array.isArray(value.permissions) || !value.permissions.every(isRecord)) fail('permissions', 'is not a list')
  if (!Array.isArray(value.policies) || !value.policies.every(isRecord)) fail('policies', 'is not a list')
  const usage = value.usage
  if (!isRecord(usage) || typeof usage.calls !== 'number' || typeof usage.native !== 'bigint' || !isRecord(usage.spent))
    fail('usage', 'is not { calls, native, spent }')
  if (value.status !== 'active' && value.status !== 'revoked') fail('status', "is neither 'active' nor 'revoked'")
  if (typeof value.wallet !== 'string') fail('wallet', 'is not a dialect name')
  const by = value.enforcedBy
  if (by !== undefined && (!isRecord(by) || !Object.values(by).every((e) => e === 'wallet' || e === 'keyleash')))
    fail('enforcedBy', "is not a record of 'wallet' or 'keyleash' per rule")
  if (typeof value.createdAt !== 'number') fail('createdAt', 'is not a number')
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function describe(value: unknown): string {
  if (typeof value === 'object' && value !== null) return `a ${(value as object).constructor?.name ?? 'null-prototype object'}`
  return `a ${typeof value}`
}
