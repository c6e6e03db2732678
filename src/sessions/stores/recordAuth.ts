import { bytesToHex, hexToBytes } from './encryption.js'

/**
 * Authenticates what a persistent store writes (session records) with a key only the holder of
 * the store's `encryptionKey` has: whoever can write to the storage but lacks that key cannot
 * forge or alter a record, only delete it or put back an older one (see tombstones in
 * `persistentStore.ts` for the latter).
 */
export type RecordAuth = {
  /**
   * The derived HMAC-SHA-256 key (non-extractable), for a platform that computes the same tags
   * its own way: Node's stores do, with `node:crypto` (`nodeRecordAuth.ts`).
   */
  readonly key: CryptoKey
  /** The tag of `text`, as 64 hex characters. */
  tag(text: string): Promise<string>
  /** Whether `tag` is the tag of `text`; in constant time. */
  verify(text: string, tag: string): Promise<boolean>
}

// Domain separation: the record key is derived for this one purpose and version.
const info = new TextEncoder().encode('keyleash/record-authentication/v1')
// The block the derivation encrypts: a fixed 96-bit IV that key seals never use on purpose
// (theirs are random: a seal meets it with probability 2⁻⁹⁶).
const derivationIv = new TextEncoder().encode('keyleash/rec')

/**
 * A {@link RecordAuth} whose HMAC-SHA-256 key is derived from the store's AES-GCM key: 32 bytes
 * of AES keystream at a fixed IV (a PRF of the key, so this works for a non-extractable
 * `CryptoKey` too, such as the browser stores' own), then HKDF-SHA-256. WebCrypto only, so the
 * same code runs in the browser and in Node; the derived key is non-extractable.
 *
 * @example
 * const auth = await recordAuth(await importEncryptionKey(encryptionKey))
 * const tag = await auth.tag(text) // 'a3f1…' (64 hex)
 * await auth.verify(text, tag) // true
 */
export async function recordAuth(key: CryptoKey): Promise<RecordAuth> {
  const keystream = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: derivationIv }, key, new Uint8Array(32))).slice(0, 32)
  const material = await crypto.subtle.importKey('raw', keystream, 'HKDF', false, ['deriveKey'])
  keystream.fill(0)
  const hmac = await crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info },
    material,
    { name: 'HMAC', hash: 'SHA-256', length: 256 },
    false,
    ['sign', 'verify'],
  )
  const encoder = new TextEncoder()
  return {
    key: hmac,
    async tag(text) {
      return bytesToHex(new Uint8Array(await crypto.subtle.sign('HMAC', hmac, encoder.encode(text))))
    },
    async verify(text, tag) {
      if (!/^[0-9a-f]{64}$/.test(tag)) return false
      return crypto.subtle.verify('HMAC', hmac, hexToBytes(tag), encoder.encode(text))
    },
  }
}

