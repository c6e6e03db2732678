import { type Address, type Hex, type LocalAccount, type SignableMessage, bytesToHex, hashMessage, hexToBytes } from 'viem'
import { pointAddress } from '../permissions/signer.js'

/** The curves keyleash makes session keys on: `'secp256k1'` (a viem account), or `'p256'` (a non-extractable WebCrypto key). */
export type SessionKeyType = 'secp256k1' | 'p256'

/**
 * A P-256 session key held as a non-extractable WebCrypto `CryptoKey`: it signs, and nothing,
 * not even keyleash, can read its private bytes. It has no Ethereum address to sign as;
 * `address` is only the name keyleash and the dev wallet's account file it under (the last 20
 * bytes of keccak256 of its point, made as an EOA's address is).
 */
export type P256Signer = {
  type: 'p256'
  /** The name the key is filed under (not an account: nothing recovers it from a signature). */
  address: Address
  /** The uncompressed point, `0x04 ‖ x ‖ y`, as ERC-7715's `secp256r1` key signer carries it. */
  publicKey: Hex
  /**
   * ECDSA P-256 over SHA-256 of the 32 bytes of `hash` (WebCrypto hashes what it signs; the
   * account checks `P256VERIFY(sha256(hash), …)`): `r ‖ s`, 64 bytes, `s` in the lower half of
   * the group order, as OpenZeppelin's `P256` and most contracts require.
   */
  sign(parameters: { hash: Hex }): Promise<Hex>
  /** {@link P256Signer.sign} over the EIP-191 hash of `message`. */
  signMessage(parameters: { message: SignableMessage }): Promise<Hex>
}

/** What a session key signs with: a viem `LocalAccount` (secp256k1, `type: 'local'`) or a {@link P256Signer} (`type: 'p256'`). */
export type SessionKeySigner = LocalAccount | P256Signer

/** A P-256 key pair as stores keep it: the private key a non-extractable `CryptoKey`, the point as hex. */
export type P256KeyPair = { privateKey: CryptoKey; publicKey: Hex }

// The order of the P-256 group, and half of it: a signature's `s` above the half is flipped.
const order = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n
const halfOrder = order >> 1n

/**
 * Makes a P-256 key pair with WebCrypto whose private key is not extractable: `exportKey`
 * of it fails, in the browser and in Node alike.
 *
 * @example
 * const pair = await generateP256Key()
 * await crypto.subtle.exportKey('pkcs8', pair.privateKey) // rejects: the key is not extractable
 */
export async function generateP256Key(): Promise<P256KeyPair> {
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
  // A public key is always extractable, whatever the flag says of the private one.
  return { privateKey: pair.privateKey, publicKey: bytesToHex(new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey))) }
}

/**
 * The signer of a P-256 key pair. The private key stays in the `CryptoKey`; only signatures
 * come out.
 *
 * @example
 * const signer = p256Signer(await generateP256Key())
 * const signature = await signer.sign({ hash: digest })
 */
export function p256Signer({ privateKey, publicKey }: P256KeyPair): P256Signer {
  const sign = async ({ hash }: { hash: Hex }): Promise<Hex> => {
    const signed = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, hexToBytes(hash) as Uint8Array<ArrayBuffer>))
    const s = BigInt(bytesToHex(signed.subarray(32)))
    if (s <= halfOrder) return bytesToHex(signed)
    return `${bytesToHex(signed.subarray(0, 32))}${(order - s).toString(16).padStart(64, '0')}`
  }
  return Object.freeze({
    type: 'p256',
    address: pointAddress(publicKey),
    publicKey,
    sign,
    signMessage: ({ message }: { message: SignableMessage }) => sign({ hash: hashMessage(message) }),
  })
}
