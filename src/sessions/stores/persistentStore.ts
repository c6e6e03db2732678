import { getAddress, type Address, type Hex, type LocalAccount } from 'viem'
import { p256Signer, type SessionKeySigner } from '../p256Key.js'
import { type CryptoKeyVault, p256Entry, p256EntryPoint } from './p256Entry.js'
import { InternalError, InvalidParamsError } from '../../errors.js'
import { memoryKeyStore } from '../keyStore.js'
import { secp256k1Accounts } from '../secp256k1Accounts.js'
import { duplicateSession, type Session, type SessionStore } from '../types.js'
import type { StoreBackend } from './backend.js'
import type { Checkpoint, KnownRecords } from './checkpoint.js'
import { openKey, openSessionRecord, type KeyRing } from './keyRing.js'
import { keyedMutex } from './mutex.js'
import type { StoreErrorHandler, StoreOptions } from './options.js'
import { datedKey, keyStoredAt, purgeBackend, type PurgeOptions } from './purge.js'
import { freezeOwned } from '../frozen.js'
import { claimedRecord, decodeSession, encodeSession, sealRecord } from './serialize.js'
import { isAddressShape } from '../../permissions/isAddressShape.js'

/** A {@link SessionStore} that outlives the process, with the purge it needs. */
export type PersistentStore = SessionStore & {
  /**
   * Deletes revoked and expired sessions, each key first, and keys no session uses once older
   * than `keyGrace`; resolves to the ids deleted. One pass (`purgeBackend`). Explicit,
   * never automatic. `now` defaults to the store's clock.
   */
  purge(now?: number, options?: PurgeOptions): Promise<string[]>
  /**
   * Seals every session record and key stored under one of `previousEncryptionKeys` again under
   * `encryptionKey`, each with a compare-and-set (a record as `update` writes it, a key only if
   * it is still the one read), so it is safe while the app runs. Records and keys are also
   * re-sealed when next used; this does all of them now, so the old key can then be dropped.
   * Resolves to how many entries it sealed again, and which ones no key opens (reported to
   * `onError`, left as they are): when `unreadable` is empty, nothing needs a previous key.
   */
  reseal(): Promise<ResealReturnType>
  /**
   * Revokes for good a session whose record this store cannot open (sealed under an
   * `encryptionKey` it does not hold, e.g. re-sealed by a process already rotated to a new
   * key): by its tombstone alone, which needs no key, so every process reads it revoked from
   * then on, whatever its record says. `accept` sees what the record claims, unverified, and
   * decides only whether to revoke (a forged record can only get itself revoked). Resolves to
   * whether it revoked: `false` when no record is stored under `id`, when it opens here
   * (revoke it with `update`), or when `accept` declines.
   */
  revokeUnopened(id: string, accept: (claimed: Session) => boolean): Promise<boolean>
}

/** What a {@link PersistentStore}'s `reseal()` did. */
export type ResealReturnType = {
  /** How many entries (session records and keys) were sealed again under `encryptionKey`. */
  resealed: number
  /** Entries no key of the store opens, as `session <id>` or `key <address>`: damaged, or sealed under a key not given. */
  unreadable: string[]
}

/** How {@link createPersistentStore} is set up by a store factory. */
export type PersistentStoreSettings = {
  /** The ciphers to seal with and read with (see `options.ts` `keyRingOf`). */
  cipher: () => Promise<KeyRing>
  scope: StoreOptions['scope']
  onError: StoreErrorHandler | undefined
  /** Unix seconds, for when a key was stored and purge's default `now`. Default: the system clock. */
  now?: (() => number) | undefined
  /** Where P-256 keys' `CryptoKey`s are kept; without one the store makes secp256k1 keys only. */
  vault?: CryptoKeyVault | undefined
  /** The store's `purgeMargin` option (see {@link StoreOptions}). Default: 86,400 (a day). */
  purgeMargin?: number | undefined
  /** What vouches for many records at once in a cold list (the one-file layout's `checkpoint.ts`). Default: none, each record is checked. */
  checkpoint?: Checkpoint | undefined
}

/**
 * The {@link SessionStore} logic every persistent store shares, over a {@link StoreBackend}:
 *
 * - sessions go through the lossless codec (`serialize.ts`), so what comes out is a fresh
 *   deep copy, equal field for field to what went in;
 * - keys are sealed by the cipher before they reach the backend, and opened only inside
 *   `keys.signer`, whose viem account is cached (one decryption and one point multiplication
 *   per key) but handed out only while the sealed key is still at rest: a key deleted by
 *   another process or tab stops signing here too;
 * - with an encryption key, every record carries a tag (HMAC-SHA-256, key derived from the
 *   encryption key, `recordAuth.ts`): a record altered at rest, moved to another id, or
 *   written without the key is refused like a damaged one;
 * - during a rotation (`previousEncryptionKeys`), records and keys sealed under a previous key
 *   are read with it and always written under the current one: a record when it is next put or
 *   updated, a key when it is first opened (a compare-and-set, so a key deleted meanwhile stays
 *   deleted); `reseal` does every entry at once;
 * - revoking writes a tombstone first (an entry of its own, `revoked/<id>` in the session
 *   space, before the record changes): a session with one reads as revoked, whatever its record
 *   says, so an older copy of the record put back at rest cannot bring it back, and its id can
 *   never be stored again. Purge drops a tombstone once its session has expired (an old copy
 *   is expired by then anyway). What tombstones cannot stop: a rollback of the whole store (or
 *   of a record together with its tombstone) to a time before the revoke;
 * - a damaged entry is reported to `onError` and skipped (`get` → `undefined`, `list`
 *   without it); `update` of a damaged entry rejects, since there is nothing to change;
 * - `update` is queued per id in this process, and made atomic across processes by a
 *   compare-and-set on the backend: the record is read and checked (its tag is async), the
 *   change computed, and written only if the record is still the one read, else read again.
 *
 * @example
 * const store = createPersistentStore(backend, { cipher: keyRingOf(options, 'myStore'), scope: options.scope, onError: options.onError })
 */
export function createPersistentStore(backend: StoreBackend, settings: PersistentStoreSettings): PersistentStore {
  const { cipher, scope, now = systemClock, vault, purgeMargin = 86_400 } = settings
  if (!(Number.isFinite(purgeMargin) && purgeMargin >= 0)) throw new InvalidParamsError('purgeMargin', 'must be a number of seconds ≥ 0')
  const reported = new Set<string>()
  const updates = keyedMutex()
  const signers = new Map<string, { sealed: string; account: SessionKeySigner }>()
  // The last record read or written per id, opened and frozen: the same text opens to the same
  // session, so it is neither verified again (a WebCrypto call, on the thread pool, whose wait
  // varied tenfold) nor parsed again on every read of an unchanged session.
  const lastRecords: KnownRecords = new Map()
  /** The session `value` opened to when this store last read or wrote it under `id`: nothing to check again. */
  function known(id: string, value: string): Session | undefined {
    const last = lastRecords.get(id)
    return last?.value === value ? last.session : undefined
  }
  function remember(id: string, value: string, decoded: Session): Session {
    const session = freezeOwned(decoded)
    lastRecords.set(id, { value, session })
    return session
  }

  /** Reports a damaged entry once per store instance and value, so a list in a loop does not flood. */
  function report(entry: string, cause: unknown, value: string): InternalError {
    const reason = cause instanceof Error ? cause.message : 'unreadable'
    const error = new InternalError(`${backend.name}: skipped ${entry}: ${reason}`, {
      store: backend.name,
      entry,
      hint: 'the rest of the store is usable; delete or restore this entry',
    })
    // A fingerprint, not a slice of the value: a plaintext key's entry begins with the key itself.
    const seen = `${entry}\u0000${value.length}\u0000${fingerprint(value)}`
    if (!reported.has(seen)) {
      reported.add(seen)
      ;(settings.onError ?? warn)(error)
    }
    return error
  }

  /**
   * The session stored as `value` under `id`, checked, and revoked if it has a tombstone (the
   * one read with `value`, if any). Reported and `undefined` if the entry is damaged or fails its tag.
   */
  async function read(id: string, value: string, tombstone?: string): Promise<Session | undefined> {
    let session = known(id, value)
    if (session === undefined) {
      try {
        session = (await openSessionRecord(await cipher(), id, value)).value
        if (session.id !== id) throw new InternalError(`it is filed under ${id} but holds session ${session.id}`)
      } catch (error) {
        report(`session ${id}`, error, value)
        return undefined
      }
      session = remember(id, value, session)
    }
    if (session.status === 'revoked' || tombstone === undefined) return session
    // A revoke between its two writes (or cut off there) is no put-back copy: only one that completed is.
    if (tombstoneDone(tombstone))
      report(`session ${id}`, new InternalError('its record says active, but it was revoked: an older copy of the record was put back; it stays revoked'), value)
    // A spread, not sessionWith: this is off the hot path, and sessionWith would add ~150 B to keyleash/browser.
    return { ...session, status: 'revoked' }
  }

  /**
   * Marks `session` revoked for good: before its record says so (`done: false`), or after
   * (`done: true`, see {@link settle}). Needs no key: any process can bury any session.
   */
  async function bury(session: Pick<Session, 'id' | 'expiry'>, done: boolean): Promise<void> {
    await backend.putSession(tombstoneOf(session.id), JSON.stringify({ v: 1, tombstone: session.id, expiry: session.expiry, done }), undefined)
  }

  /** Notes on a tombstone that its record says revoked too: from then on, an active record beside it was put back. */
  async function settle(id: string): Promise<void> {
    await backend.updateSession(tombstoneOf(id), (value) => (tombstoneDone(value) ? undefined : `${value.slice(0, -6)}true}`))
  }

  /**
   * The signer of the key stored for `address`, opened with any key of the ring; one sealed
   * under a previous key is first sealed again under the current one (`resealed`), in place
   * only if the entry is still the one read: if it changed or went meanwhile, it is read again.
   * Reported and `undefined` when no key opens it.
   */
  async function unlock(address: Address): Promise<{ account: SessionKeySigner; resealed: boolean } | undefined> {
    const id = address.toLowerCase()
    const sealed = await backend.getKey(id)
    if (sealed === undefined) {
      signers.delete(id)
      return undefined
    }
    const cached = signers.get(id)
    if (cached?.sealed === sealed) return { account: cached.account, resealed: false }
    const point = p256EntryPoint(sealed)
    if (point !== undefined) {
      // Nothing to open or seal again: the entry is the public point, the CryptoKey is in the vault.
      const privateKey = await vault?.get(id)
      const account = privateKey && p256Signer({ privateKey, publicKey: point })
      if (account?.address.toLowerCase() !== id) {
        report(`key ${address}`, new InternalError(`its P-256 CryptoKey is not in this store${vault ? '' : ', which cannot hold one'}`), sealed)
        return undefined
      }
      signers.set(id, { sealed, account })
      return { account, resealed: false }
    }
    let opened: { account: LocalAccount; privateKey: Hex; stale: boolean }
    const ring = await cipher()
    try {
      const { value: privateKey, stale } = await openKey(ring, address, sealed)
      const account = (await secp256k1Accounts()).privateKeyToAccount(privateKey)
      if (account.address.toLowerCase() !== id) throw new InternalError(`it holds the key of another address`)
      opened = { account, privateKey, stale }
    } catch (error) {
      report(`key ${address}`, error, sealed)
      return undefined
    }
    if (!opened.stale) {
      signers.set(id, { sealed, account: opened.account })
      return { account: opened.account, resealed: false }
    }
    const resealed = datedKey(await ring.current.seal(address, opened.privateKey), keyStoredAt(sealed) ?? now())
    if (!(await backend.replaceKey(id, sealed, resealed))) return unlock(address)
    signers.set(id, { sealed: resealed, account: opened.account })
    return { account: opened.account, resealed: true }
  }

  /**
   * Every session entry of `entries` read (tombstones left out), a slice at a time: each read
   * verifies a tag (WebCrypto, on the thread pool) and copies its text there, so 100,000 reads
   * started at once held hundreds of MiB of pending work.
   */
  async function readAll(entries: [string, string][]): Promise<(Session | undefined)[]> {
    const records = entries.filter((entry) => !entry[0].startsWith(tombstonePrefix))
    // No flatMap: an empty array per entry was a measurable part of a list of 100,000.
    const tombstones = new Map(entries.filter(([id]) => id.startsWith(tombstonePrefix)).map(([id, value]) => [id.slice(tombstonePrefix.length), value]))
    const listed = await settings.checkpoint?.read(records, lastRecords)
    // Those known as they are, at once: a promise each cost a cold list of 100,000 records ~0.1 s.
    // By index, not destructured: an array pattern made an iterator per record.
    const sessions = records.map((record) => (tombstones.has(record[0]) ? undefined : known(record[0], record[1])))
    const rest = [...sessions.keys()].filter((i) => !sessions[i])
    for (let start = 0; start < rest.length; start += readSlice)
      await Promise.all(
        rest.slice(start, start + readSlice).map(async (i) => {
          const [id, value] = records[i]!
          sessions[i] = await read(id, value, tombstones.get(id))
        }),
      )
    listed?.()
    return sessions
  }

  function checkScope(session: Session, field: string): void {
    if (scope?.chainId !== undefined && session.chainId !== scope.chainId)
      throw new InvalidParamsError(`${field}.chainId`, `must be ${scope.chainId}: this store is scoped to that chain`)
    if (scope?.account !== undefined && session.account.toLowerCase() !== scope.account.toLowerCase())
      throw new InvalidParamsError(`${field}.account`, `must be ${scope.account}: this store is scoped to that account`)
  }

  /**
   * The entry under `id` and the session `read` makes of it, its tombstone read with it: in one
   * step where the backend can (a round trip less on Redis, both as of one instant), else side by side.
   */
  async function entryOf(id: string): Promise<{ value: string | undefined; session: Session | undefined }> {
    const [value, tombstone] = await (backend.getSessionAndTombstone?.(id, tombstoneOf(id)) ?? Promise.all([backend.getSession(id), backend.getSession(tombstoneOf(id))]))
    return { value, session: value === undefined ? undefined : await read(id, value, tombstone) }
  }

  const store: PersistentStore = {
    async get(id) {
      if (id.startsWith(tombstonePrefix)) return undefined
      return (await entryOf(id)).session
    },
    async put(session) {
      checkScope(session, 'session')
      if (session.id.startsWith(tombstonePrefix)) throw new InvalidParamsError('session.id', `must not start with "${tombstonePrefix}": the store keeps its tombstones there`)
      const value = await sealRecord(session, (await cipher()).current.records)
      // A revoked id stays revoked: its record may be gone (purged), its tombstone is not.
      if ((await backend.getSession(tombstoneOf(session.id))) !== undefined) throw duplicateSession(session.id)
      const outcome = await backend.putSession(session.id, value, session.keyAddress?.toLowerCase(), session.expiry)
      if (outcome === 'exists') throw duplicateSession(session.id)
      if (outcome === 'no-key')
        throw new InternalError(`session ${session.id}: its key is not in the store`, {
          context: session.id,
          hint: 'store the key with `store.keys.import` or `store.keys.generate` before the session',
        })
      // After the write: a duplicate refused above must not bury the session stored under its id.
      if (session.status === 'revoked') await bury(session, true)
    },
    update(id, change) {
      return updates.run(id, async () => {
        for (let attempt = 0; attempt < maxAttempts; attempt++) {
          const { value, session: current } = await entryOf(id)
          if (value === undefined) return undefined
          if (current === undefined) throw new InternalError(`session ${id}: its stored entry is damaged and cannot be updated`, { context: id, store: backend.name })
          // `change` gets a copy: one it mutates and then declines must not change the answer.
          const next = change(structuredClone(current))
          if (next === undefined) return current
          if (next.id !== id) throw new InternalError(`session ${id}: an update may not change the session's id`, { context: id })
          checkScope(next, 'session')
          const revoking = next.status === 'revoked' && current.status !== 'revoked'
          if (revoking) await bury(next, false)
          const written = await sealRecord(next, (await cipher()).current.records)
          let raced = false
          const found = await backend.updateSession(
            id,
            (stored) => {
              raced = stored !== value
              return raced ? undefined : written
            },
            value,
          )
          if (found === undefined) return undefined
          if (raced) continue
          if (revoking) await settle(id)
          return remember(id, written, decodeSession(encodeSession(next)))
        }
        throw new InternalError(`${backend.name}: session ${id} changed under every one of ${maxAttempts} attempts to update it`, {
          context: id,
          hint: 'too many writers update this session at once; retry later',
        })
      })
    },
    async delete(id) {
      if (id.startsWith(tombstonePrefix)) return
      const value = await backend.deleteSession(id)
      lastRecords.delete(id)
      const keyAddress = value === undefined ? undefined : (await read(id, value))?.keyAddress?.toLowerCase()
      if (keyAddress === undefined) return
      // An entry this store cannot read may use the key too (see purgeBackend): then it stays.
      const others = await readAll(await backend.listSessions())
      if (others.some((other) => other === undefined || other.keyAddress?.toLowerCase() === keyAddress)) return
      await store.keys.delete(keyAddress as Address)
    },
    async list() {
      const entries = await backend.listSessions()
      return (await readAll(entries)).filter((session): session is Session => session !== undefined)
    },
    async purge(at = now(), options = {}) {
      const entries = await backend.listSessions()
      const tombstones = entries.filter(([id]) => id.startsWith(tombstonePrefix))
      const sessions = await readAll(entries)
      // A purged P-256 key goes with its CryptoKey.
      const purged = await purgeBackend(vault ? { ...backend, deleteKey: (address) => store.keys.delete(address as Address) } : backend, sessions, at, { ...options, margin: purgeMargin })
      for (const id of purged) lastRecords.delete(id)
      // A tombstone outlives its session's expiry only as long as an old copy could still be live (and the clock be wrong).
      for (const [id, value] of tombstones) if (tombstoneExpiry(value) + purgeMargin <= at) await backend.deleteSession(id)
      return purged
    },
    async revokeUnopened(id, accept) {
      // A tombstone's id finds a tombstone, which decodes as no session.
      const value = await backend.getSession(id)
      // Not opened here (`read` reports it): what it claims decides alone whether it is this caller's to revoke.
      const claimed = value === undefined || (await read(id, value)) ? undefined : claimedRecord(value)
      if (claimed?.id !== id || !accept(claimed)) return false
      await bury(claimed, false)
      return true
    },
    async reseal() {
      const ring = await cipher()
      let resealed = 0
      const unreadable: string[] = []
      for (const [id, value] of await backend.listSessions()) {
        if (id.startsWith(tombstonePrefix)) continue
        let stale: boolean
        try {
          stale = (await openSessionRecord(ring, id, value)).stale
        } catch (error) {
          report(`session ${id}`, error, value)
          unreadable.push(`session ${id}`)
          continue
        }
        // `update` reads with any key and writes under the current one, with its compare-and-set.
        if (stale && (await store.update(id, (session) => session)) !== undefined) resealed++
      }
      for (const [stored] of await backend.listKeys()) {
        // Checksummed, as everywhere else a key is named (and so reported once, not twice).
        const address = isAddressShape(stored) ? getAddress(stored) : (stored as Address)
        const unlocked = await unlock(address)
        if (unlocked?.resealed) resealed++
        // One deleted meanwhile (a revoke, a purge) needs no key any more.
        else if (unlocked === undefined && (await backend.getKey(stored)) !== undefined) unreadable.push(`key ${address}`)
      }
      return { resealed, unreadable }
    },
    keys: {
      async import(privateKey) {
        // The memory key store's checks, so both refuse a bad key with the same coded error.
        const address = await memoryKeyStore().import(privateKey)
        await backend.putKey(address.toLowerCase(), datedKey(await (await cipher()).current.seal(address, privateKey), now()))
        return address
      },
      keyTypes: vault ? ['secp256k1', 'p256'] : undefined,
      async generate(keyType) {
        if (keyType === undefined) return store.keys.import((await secp256k1Accounts()).generatePrivateKey())
        if (!vault) throw new InvalidParamsError('keyType', `${backend.name} cannot keep a non-extractable CryptoKey`, { hint: 'use memoryStore() or indexedDbStore()' })
        const { pair, signer } = await keyType.generate()
        const address = signer.address
        // The CryptoKey first: an entry is never there without the key it names.
        await vault.put(address.toLowerCase(), pair.privateKey)
        await backend.putKey(address.toLowerCase(), datedKey(p256Entry(pair.publicKey), now()))
        return address
      },
      async has(address) {
        return (await backend.getKey(address.toLowerCase())) !== undefined
      },
      async signer(address) {
        return (await unlock(address))?.account
      },
      async delete(address) {
        const id = address.toLowerCase()
        signers.delete(id)
        await backend.deleteKey(id)
        await vault?.delete(id)
      },
    },
  }
  return store
}

// Tombstones live in the session space, under ids no wallet context can take (put refuses them).
const tombstonePrefix = '\u0000revoked/'
/**
 * The id a session's tombstone is stored under, in the session space beside it. A backend that
 * keeps more under an id than its entry (Redis: its compare-and-set attempts) clears the
 * tombstone's extras with the session's.
 *
 * @example
 * tombstoneOf('0x01') // '\u0000revoked/0x01'
 */
export const tombstoneOf = (id: string) => tombstonePrefix + id
// A tombstone that cannot be read is kept: dropping it could let a revoked session back.
function tombstoneExpiry(value: string): number {
  try {
    const { expiry } = JSON.parse(value) as { expiry?: unknown }
    return typeof expiry === 'number' ? expiry : Number.POSITIVE_INFINITY
  } catch {
    return Number.POSITIVE_INFINITY
  }
}

// A tombstone of an older keyleash (no `done`) was written with its record's revoke: done.
function tombstoneDone(value: string): boolean {
  return !value.endsWith(',"done":false}')
}

/** FNV-1a of `text`, 32 bits: tells two values apart for a report's dedup, and gives back nothing of them. */
function fingerprint(text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193)
  return hash >>> 0
}

// Reads in flight at once in a list: enough to keep the thread pool busy, few enough to hold little.
const readSlice = 512

// Compare-and-set rounds an update may lose to other writers before it gives up.
const maxAttempts = 1000

function systemClock(): number {
  return Math.floor(Date.now() / 1000)
}

/**
 * The default `onError`: a `console.warn` of the message.
 *
 * @example
 * const report = options.onError ?? warn
 */
export function warn(error: InternalError): void {
  console.warn(`keyleash: ${error.message}`)
}
