// Made once: a regex literal is a new RegExp object each time it is evaluated, and an
// executor checks a digest on every send.
const digest = /^0x[0-9a-fA-F]{64}$/

/**
 * Whether `value` is 32 bytes as 0x-hex: a digest or hash a wallet or backend hands over for a
 * session key to sign.
 *
 * @example
 * isDigest(prepared.digest) // true for '0x' and 64 hex digits
 */
export function isDigest(value: string): boolean {
  return digest.test(value)
}
