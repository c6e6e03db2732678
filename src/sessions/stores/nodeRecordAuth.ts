import { createHmac, KeyObject } from 'node:crypto'
import type { KeyCipher } from './encryption.js'
import type { KeyRing } from './keyRing.js'
import type { RecordAuth } from './recordAuth.js'

/**
 * A {@link RecordAuth} with the same key and the same tags as `auth`, computed by `node:crypto`
 * on the calling thread. A WebCrypto call is a job on the thread pool with a promise around it:
 * at 100,000 records a first `list()` spent seconds there (tens of seconds on a loaded
 * machine), against microseconds here. The key reaches `node:crypto` as a `KeyObject`
 * (`KeyObject.from`), never as bytes on the JS heap. Node only (it imports `node:crypto`), so
 * browser bundles keep WebCrypto's.
 *
 * @example
 * const auth = nodeRecordAuth((await aesGcmCipher(encryptionKey)).records!)
 * await auth.verify(text, await auth.tag(text)) // true
 */
export function nodeRecordAuth(auth: RecordAuth): RecordAuth {
  const key = KeyObject.from(auth.key)
  const digest = (text: string) => createHmac('sha256', key).update(text, 'utf8').digest('hex')
  return {
    key: auth.key,
    async tag(text) {
      return digest(text)
    },
    async verify(text, tag) {
      // Compared as hex, every character, with no early exit (an OR of XORs, as noble's
      // equalBytes): `timingSafeEqual` needed two Buffers a record, a third of a first list()'s
      // tag checks at 100,000 records. Only lower-case hex, as WebCrypto's `verify` accepts.
      const expected = digest(text)
      if (tag.length !== expected.length) return false
      let difference = 0
      for (let i = 0; i < expected.length; i++) difference |= expected.charCodeAt(i) ^ tag.charCodeAt(i)
      return difference === 0
    },
  }
}

/**
 * `ring` with every cipher's records tagged and checked by {@link nodeRecordAuth}: what Node's
 * stores read and write with. Mapped once per ring `ring` answers.
 *
 * @example
 * const cipher = nodeKeyRing(keyRingOf(options, 'fileStore'))
 */
export function nodeKeyRing(ring: () => Promise<KeyRing>): () => Promise<KeyRing> {
  let last: { from: KeyRing; to: KeyRing } | undefined
  const onNode = (cipher: KeyCipher): KeyCipher => (cipher.records === undefined ? cipher : { ...cipher, records: nodeRecordAuth(cipher.records) })
  return async () => {
    const from = await ring()
    if (last?.from !== from) last = { from, to: { current: onNode(from.current), previous: from.previous.map(onNode) } }
    return last.to
  }
}
