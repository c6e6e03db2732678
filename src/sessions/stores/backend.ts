/** What {@link StoreBackend.putSession} did. */
export type PutOutcome = 'stored' | 'exists' | 'no-key'

/**
 * What a persistent store is built on: raw strings under names, in one partition. The
 * backend owns storage and atomicity; {@link createPersistentStore} owns everything else
 * (the codec, encryption, scope, reporting damaged entries), so every store behaves alike
 * and the contract suite tests one logic over four media.
 *
 * Session ids and key addresses arrive as they are (addresses lower-case); values are
 * opaque strings: an encoded session, a sealed key.
 */
export type StoreBackend = {
  /** How errors name this store, e.g. `fileStore ./sessions.jsonl`. */
  readonly name: string
  getSession(id: string): Promise<string | undefined>
  /**
   * The entries under `id` and `tombstone` (a session and its tombstone, which every medium
   * keeps side by side), read in one step. Optional: a medium where a read costs a round trip
   * has it (Redis: one `MGET`, the two share a slot); without it, two {@link getSession} calls.
   */
  getSessionAndTombstone?(id: string, tombstone: string): Promise<[value: string | undefined, tombstone: string | undefined]>
  /** Every session entry of the partition. */
  listSessions(): Promise<[id: string, value: string][]>
  /**
   * Writes a new session, only if none is stored under `id` and, when `keyAddress` is given,
   * only if that key is stored, both checked in the same atomic step as the write. Resolves
   * to what happened: `'stored'`, `'exists'` (nothing written) or `'no-key'` (nothing written).
   * `expiry` (unix seconds) is the session's: a medium with expiring entries (Redis) may let
   * the entry go some time after it; the others ignore it.
   */
  putSession(id: string, value: string, keyAddress: string | undefined, expiry?: number): Promise<PutOutcome>
  /**
   * Atomic read-modify-write, across processes/tabs: `change` gets the stored value and
   * returns the new one, or `undefined` to leave it. `change` is synchronous and may be called
   * more than once (optimistic backends retry it after a conflict). Resolves to `undefined`
   * when there is no such session, else to whether a write happened. `expected`, when given,
   * is the value the caller last read: an optimistic backend may try its first write against
   * it instead of reading again (Redis: a round trip less), and reads only if it changed since.
   */
  updateSession(id: string, change: (value: string) => string | undefined, expected?: string): Promise<boolean | undefined>
  /** Deletes a session, and nothing else (its key stays); resolves to the value it had. */
  deleteSession(id: string): Promise<string | undefined>
  getKey(address: string): Promise<string | undefined>
  /** Every key entry of the partition (for purge to find keys no session uses). */
  listKeys(): Promise<[address: string, value: string][]>
  putKey(address: string, value: string): Promise<void>
  /**
   * Compare-and-set of a key entry, atomic across processes/tabs: writes `next` only if the
   * entry is still `expected`. Resolves to whether it wrote (`false`: the key changed or went
   * meanwhile, and a key deleted by a revoke must not come back).
   */
  replaceKey(address: string, expected: string, next: string): Promise<boolean>
  deleteKey(address: string): Promise<void>
}
