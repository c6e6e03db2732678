import type { Address, Hex } from 'viem'
import type { Session } from '../types.js'
import type { KeyCipher } from './encryption.js'
import { openRecord } from './serialize.js'

/**
 * The ciphers a store reads with: `current` (its `encryptionKey`, the only one it writes with)
 * and `previous` (its `previousEncryptionKeys`, read only, so that keys and records sealed
 * before a rotation still open until they are sealed again under `current`).
 */
export type KeyRing = {
  readonly current: KeyCipher
  readonly previous: readonly KeyCipher[]
}

/** What a {@link KeyRing} opened, and whether it was sealed under a previous key (`stale`: to seal again under the current one). */
export type Opened<T> = { value: T; stale: boolean }

/**
 * Opens a sealed key with the current cipher, else with each previous one in turn. When none
 * opens it, the current cipher's error is thrown: it says what is wrong from where the store
 * stands now.
 *
 * @example
 * const { value: privateKey, stale } = await openKey(ring, address, sealed)
 */
export function openKey(ring: KeyRing, address: Address, sealed: string): Promise<Opened<Hex>> {
  return firstOpening(ring, (cipher) => cipher.open(address, sealed))
}

/**
 * Opens a stored session record (see `serialize.ts` `openRecord`) whose tag verifies under the
 * current cipher's record key, else under a previous one's. A record no key of the ring
 * authenticates is refused with the current cipher's error, as without rotation.
 *
 * @example
 * const { value: session, stale } = await openSessionRecord(ring, id, value)
 */
export function openSessionRecord(ring: KeyRing, id: string, value: string): Promise<Opened<Session>> {
  return firstOpening(ring, (cipher) => openRecord(id, value, cipher.records))
}

async function firstOpening<T>(ring: KeyRing, open: (cipher: KeyCipher) => Promise<T>): Promise<Opened<T>> {
  try {
    return { value: await open(ring.current), stale: false }
  } catch (error) {
    for (const previous of ring.previous) {
      try {
        return { value: await open(previous), stale: true }
      } catch {
        // The current key's error is the one to report: the previous keys are only a way out.
      }
    }
    throw error
  }
}
