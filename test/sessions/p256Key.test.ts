import { inspect } from 'node:util'
import { hexToBytes, type Hex } from 'viem'
import { describe, expect, test } from 'vitest'
import { pointAddress } from '../../src/permissions/signer.js'
import { memoryKeyStore } from '../../src/sessions/keyStore.js'
import { p256Keys } from '../../src/sessions/p256Keys.js'
import { generateP256Key, p256Signer, type P256Signer } from '../../src/sessions/p256Key.js'

const order = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n
const bytes = (hex: Hex) => hexToBytes(hex) as Uint8Array<ArrayBuffer>

describe('P-256 session keys', () => {
  test('behavior: the private key cannot be exported in any format; the public point can be read', async () => {
    const pair = await generateP256Key()
    expect(pair.privateKey.extractable).toBe(false)
    for (const format of ['pkcs8', 'jwk', 'raw'] as const) await expect(crypto.subtle.exportKey(format, pair.privateKey)).rejects.toThrow()
    expect(pair.publicKey).toMatch(/^0x04[0-9a-f]{128}$/)
  })

  test('behavior: sign({ hash }) is ECDSA P-256 over SHA-256 of the 32 bytes, r ‖ s with a low s, which WebCrypto verifies', async () => {
    const pair = await generateP256Key()
    const signer = p256Signer(pair)
    const verifier = await crypto.subtle.importKey('raw', bytes(pair.publicKey), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify'])
    // WebCrypto's own `s` is high half the time: forty signatures all come out low.
    for (let i = 0; i < 40; i++) {
      const hash = `0x${i.toString(16).padStart(64, '0')}` as Hex
      const signature = await signer.sign({ hash })
      expect(signature).toMatch(/^0x[0-9a-f]{128}$/)
      expect(BigInt(`0x${signature.slice(66)}`) <= order >> 1n).toBe(true)
      expect(await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, verifier, bytes(signature), bytes(hash))).toBe(true)
    }
    expect(signer.address).toBe(pointAddress(pair.publicKey))
  })

  test('behavior: the memory key store makes P-256 keys on request, and nothing it shows holds key bytes', async () => {
    const keys = memoryKeyStore()
    expect(keys.keyTypes).toStrictEqual(['secp256k1', 'p256'])
    const address = await keys.generate(p256Keys())
    const signer = (await keys.signer(address)) as P256Signer
    expect(signer.type).toBe('p256')
    expect(signer.address).toBe(address)
    expect((await keys.signer(address.toLowerCase() as Hex))?.address).toBe(address)
    expect(Object.keys(signer).sort()).toStrictEqual(['address', 'publicKey', 'sign', 'signMessage', 'type'])
    expect(JSON.stringify(signer)).not.toMatch(/privateKey|pkcs8|"d"/)
    expect(inspect(keys, { depth: 10 })).not.toContain('CryptoKey')
    expect((await keys.signer(await keys.generate()))?.type).toBe('local')
  })
})
