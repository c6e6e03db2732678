import { InternalError } from '../errors.js'
import { frozenCopy, frozenReplace, handOut } from './frozen.js'
import { memoryKeyStore } from './keyStore.js'
import { duplicateSession, type Session, type SessionStore } from './types.js'

/**
 * A {@link SessionStore} in memory: the default store, gone when the process ends.
 *
 * - Sessions come out deeply frozen, and are replaced, never edited: `put` keeps a frozen copy
 *   of what it is given, so changing a session after `put` does not change the store; what
 *   `update`'s `change` returns becomes the store's and is frozen where it is (its parts that
 *   hold bytes or dates are copied); a session you got cannot be changed (strict mode throws).
 *   Reads hand out the stored object itself: no copy per read, and a session's `permissions`
 *   keep their identity across updates of its usage, which the scope check's cache relies on.
 * - `update` is atomic: it reads, calls `change` and writes without yielding in between,
 *   so concurrent updates of one session never lose a write.
 * - `put` refuses a session whose `keyAddress` names a key the store does not hold (a
 *   session is visible only once its key is stored), and one whose id is already stored.
 * - `delete` also deletes the session's key, unless another stored session uses that key.
 * - Keys live in {@link memoryKeyStore}'s closure and never appear on the store object.
 *
 * @example
 * import { generatePrivateKey } from 'viem/accounts'
 * const store = memoryStore()
 * const keyAddress = await store.keys.import(generatePrivateKey())
 * await store.put({ ...session, keyAddress })
 * await store.update(session.id, (s) => ({ ...s, usage: { ...s.usage, calls: s.usage.calls + 1 } }))
 */
export function memoryStore(): SessionStore {
  const sessions = new Map<string, Session>()
  const keys = memoryKeyStore()

  // No await between the read and the write: that is what makes `update` atomic.
  function replace(id: string, change: (session: Session) => Session | undefined): Session | undefined {
    const current = sessions.get(id)
    if (current === undefined) return undefined
    const next = change(handOut(current))
    if (next === undefined) return handOut(current)
    if (next.id !== id) throw new InternalError(`session ${id}: an update may not change the session's id`, { context: id })
    const stored = frozenReplace(current, next)
    sessions.set(id, stored)
    return handOut(stored)
  }

  return {
    // Not async: an async function costs more than the promise it returns, and a send reads twice.
    get(id) {
      const session = sessions.get(id)
      return Promise.resolve(session === undefined ? undefined : handOut(session))
    },
    async put(session) {
      // Checked and written without yielding, so a concurrent `delete` cannot take the key in between.
      if (sessions.has(session.id)) throw duplicateSession(session.id)
      if (session.keyAddress !== undefined && !keys.holds(session.keyAddress))
        throw new InternalError(`session ${session.id}: its key is not in the store`, {
          context: session.id,
          hint: 'store the key with `store.keys.import` or `store.keys.generate` before the session',
        })
      sessions.set(session.id, frozenCopy(session))
    },
    update(id, change) {
      // Not async either, for the same reason; a throw becomes the rejection an async function's would.
      try {
        return Promise.resolve(replace(id, change))
      } catch (error) {
        return Promise.reject(error)
      }
    },
    async delete(id) {
      const session = sessions.get(id)
      if (session === undefined) return
      sessions.delete(id)
      const { keyAddress } = session
      if (keyAddress === undefined) return
      const shared = keyAddress.toLowerCase()
      for (const other of sessions.values()) if (other.keyAddress?.toLowerCase() === shared) return
      await keys.delete(keyAddress)
    },
    async list() {
      return Array.from(sessions.values(), handOut)
    },
    keys,
  }
}
