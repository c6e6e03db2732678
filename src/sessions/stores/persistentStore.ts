import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts'
import type { Address, LocalAccount } from 'viem'
import { InternalError, InvalidParamsError } from '../../errors.js'
import { memoryKeyStore } from '../keyStore.js'
import type { Session, SessionStore } from '../types.js'
import type { StoreBackend } from './backend.js'
import type { KeyCipher } from './encryption.js'
import { keyedMutex } from './mutex.js'
import type { StoreErrorHandler, StoreOptions } from './options.js'
import { datedKey, purgeBackend, type PurgeOptions } from './purge.js'
import { decodeSession, encodeSession } from './serialize.js'

/** A {@link SessionStore} that outlives the process, with the purge it needs. */
export type PersistentStore = SessionStore & {
  /**
   * Deletes revoked and expired sessions, each key first, and keys no session uses once older
   * than `keyGrace`; resolves to the ids deleted. One pass: see {@link purgeBackend}. Explicit,
   * never automatic. `now` defaults to the store's clock.
   */
  purge(now?: number, options?: PurgeOptions): Promise<string[]>
}

/** How {@link createPersistentStore} is set up by a store factory. */
export type PersistentStoreSettings = {
  cipher: () => Promise<KeyCipher>
  scope: StoreOptions['scope']
  onError: StoreErrorHandler | undefined
  /** Unix seconds, for when a key was stored and purge's default `now`. Default: the system clock. */
  now?: (() => number) | undefined
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
 * - a damaged entry is reported to `onError` and skipped (`get` → `undefined`, `list`
 *   without it); `update` of a damaged entry rejects, since there is nothing to change;
 * - `update` is queued per id in this process, then made atomic across processes by the
 *   backend.
 *
 * @example
 * const store = createPersistentStore(backend, { cipher: cipherOf(options, 'myStore'), scope: options.scope, onError: options.onError })
 */
export function createPersistentStore(backend: StoreBackend, settings: PersistentStoreSettings): PersistentStore {
  const { cipher, scope, now = systemClock } = settings
  const reported = new Set<string>()
  const updates = keyedMutex()
  const signers = new Map<string, { sealed: string; account: LocalAccount }>()

  /** Reports a damaged entry once per store instance and value, so a list in a loop does not flood. */
  function report(entry: string, cause: unknown, value: string): InternalError {
    const reason = cause instanceof Error ? cause.message : 'unreadable'
    const error = new InternalError(`${backend.name}: skipped ${entry}: ${reason}`, {
      store: backend.name,
      entry,
      hint: 'the rest of the store is usable; delete or restore this entry',
    })
    const seen = `${entry}\u0000${value.length}\u0000${value.slice(0, 64)}`
    if (!reported.has(seen)) {
      reported.add(seen)
      ;(settings.onError ?? warn)(error)
    }
    return error
  }

  function read(id: string, value: string): Session | undefined {
    try {
      const session = decodeSession(value)
      if (session.id !== id) throw new InternalError(`it is filed under ${id} but holds session ${session.id}`)
      return session
    } catch (error) {
      report(`session ${id}`, error, value)
      return undefined
    }
  }

  function checkScope(session: Session, field: string): void {
    if (scope?.chainId !== undefined && session.chainId !== scope.chainId)
      throw new InvalidParamsError(`${field}.chainId`, `must be ${scope.chainId}: this store is scoped to that chain`)
    if (scope?.account !== undefined && session.account.toLowerCase() !== scope.account.toLowerCase())
      throw new InvalidParamsError(`${field}.account`, `must be ${scope.account}: this store is scoped to that account`)
  }

  const store: PersistentStore = {
    async get(id) {
      const value = await backend.getSession(id)
      return value === undefined ? undefined : read(id, value)
    },
    async put(session) {
      checkScope(session, 'session')
      const value = encodeSession(session)
      const stored = await backend.putSession(session.id, value, session.keyAddress?.toLowerCase(), session.expiry)
      if (!stored)
        throw new InternalError(`session ${session.id}: its key is not in the store`, {
          context: session.id,
          hint: 'store the key with `store.keys.import` or `store.keys.generate` before the session',
        })
    },
    update(id, change) {
      return updates.run(id, async () => {
        let result: Session | undefined
        const found = await backend.updateSession(id, (value) => {
          const current = read(id, value)
          if (current === undefined) throw new InternalError(`session ${id}: its stored entry is damaged and cannot be updated`, { context: id, store: backend.name })
          const next = change(current)
          if (next === undefined) {
            result = decodeSession(value)
            return undefined
          }
          if (next.id !== id) throw new InternalError(`session ${id}: an update may not change the session's id`, { context: id })
          checkScope(next, 'session')
          const written = encodeSession(next)
          result = decodeSession(written)
          return written
        })
        return found === undefined ? undefined : result
      })
    },
    async delete(id) {
      const value = await backend.deleteSession(id)
      const keyAddress = value === undefined ? undefined : read(id, value)?.keyAddress?.toLowerCase()
      if (keyAddress === undefined) return
      const others = await store.list()
      if (others.some((other) => other.keyAddress?.toLowerCase() === keyAddress)) return
      await store.keys.delete(keyAddress as Address)
    },
    async list() {
      const entries = await backend.listSessions()
      const sessions: Session[] = []
      for (const [id, value] of entries) {
        const session = read(id, value)
        if (session !== undefined) sessions.push(session)
      }
      return sessions
    },
    purge(at = now(), options = {}) {
      return purgeBackend(backend, read, at, options)
    },
    keys: {
      async import(privateKey) {
        // The memory key store's checks, so both refuse a bad key with the same coded error.
        const address = await memoryKeyStore().import(privateKey)
        await backend.putKey(address.toLowerCase(), datedKey(await (await cipher()).seal(address, privateKey), now()))
        return address
      },
      async generate() {
        return store.keys.import(generatePrivateKey())
      },
      async has(address) {
        return (await backend.getKey(address.toLowerCase())) !== undefined
      },
      async signer(address) {
        const id = address.toLowerCase()
        const sealed = await backend.getKey(id)
        if (sealed === undefined) {
          signers.delete(id)
          return undefined
        }
        const cached = signers.get(id)
        if (cached?.sealed === sealed) return cached.account
        try {
          const account = privateKeyToAccount(await (await cipher()).open(address, sealed))
          if (account.address.toLowerCase() !== id) throw new InternalError(`it holds the key of another address`)
          signers.set(id, { sealed, account })
          return account
        } catch (error) {
          report(`key ${address}`, error, sealed)
          return undefined
        }
      },
      async delete(address) {
        const id = address.toLowerCase()
        signers.delete(id)
        await backend.deleteKey(id)
      },
    },
  }
  return store
}

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
