import type { Hex } from 'viem'

/**
 * The key entry a persistent store writes for a P-256 key: its public point only. The private
 * key is a non-extractable `CryptoKey` kept apart, by structured clone, in the store's
 * {@link CryptoKeyVault}; no bytes of it are ever written anywhere.
 *
 * @example
 * p256Entry('0x04…') // '{"v":1,"alg":"P-256","publicKey":"0x04…"}'
 */
export function p256Entry(publicKey: Hex): string {
  return JSON.stringify({ v: 1, alg: 'P-256', publicKey })
}

/**
 * The public point of a key entry written by {@link p256Entry} (dated or not); `undefined` for
 * any other entry (a sealed secp256k1 key).
 *
 * @example
 * p256EntryPoint(p256Entry(publicKey)) // publicKey
 */
export function p256EntryPoint(entry: string): Hex | undefined {
  return /^\{"v":1,"alg":"P-256","publicKey":"(0x04[0-9a-f]{128})"/.exec(entry)?.[1] as Hex | undefined
}

/**
 * Where a persistent store keeps the `CryptoKey` of each P-256 key, by lower-case address:
 * IndexedDB keeps it by structured clone, still non-extractable after a reload. A store without
 * one (web storage, a file, Redis) cannot hold P-256 keys.
 */
export type CryptoKeyVault = {
  put(address: string, key: CryptoKey): Promise<void>
  get(address: string): Promise<CryptoKey | undefined>
  delete(address: string): Promise<void>
}
