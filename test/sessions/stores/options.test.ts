import { bytesToHex, type Hex } from 'viem'
import { generatePrivateKey } from 'viem/accounts'
import { describe, expect, test } from 'vitest'
import { keyRingOf, partitionOf, type StoreOptions } from '../../../src/sessions/stores/options.js'
import { rejection, rejectionOf } from '../../utils/rejection.js'

describe('partitionOf', () => {
  test('default: the namespace, then the chain, then the account', () => {
    expect(partitionOf({})).toBe('keyleash')
    expect(partitionOf({ namespace: 'shop', scope: { chainId: 31337, account: '0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045' } })).toBe(
      'shop/c31337/a0xd8da6bf26964af9d7eed9e03e53415d37aa96045',
    )
  })

  test('error: a namespace with "/" is refused, so that `shop/c31337` can never be the partition of `shop` on chain 31337', () => {
    expect(partitionOf({ namespace: 'shop', scope: { chainId: 31337 } })).toBe('shop/c31337')
    expect(rejection(() => partitionOf({ namespace: 'shop/c31337' }))).toMatchInlineSnapshot(`
      {
        "code": -32602,
        "message": "namespace: "shop/c31337" has a "/", which separates the namespace from the scope; use another character",
      }
    `)
  })
})

describe('keyRingOf: previousEncryptionKeys', () => {
  const keyA = crypto.getRandomValues(new Uint8Array(32))
  const keyB = crypto.getRandomValues(new Uint8Array(32))
  const refusal = (options: StoreOptions) => rejection(() => keyRingOf(options, 'fileStore'))

  test('default: none; the ring reads with the previous keys, in order, and seals with encryptionKey only', async () => {
    expect((await keyRingOf({ encryptionKey: keyB }, 'fileStore')()).previous).toStrictEqual([])
    const ring = await keyRingOf({ encryptionKey: keyB, previousEncryptionKeys: [keyA, bytesToHex(crypto.getRandomValues(new Uint8Array(32)))] }, 'fileStore')()
    expect(ring.previous).toHaveLength(2)
    const address = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
    const sealed = await ring.current.seal(address, generatePrivateKey())
    await expect(ring.previous[0]!.open(address, sealed)).rejects.toMatchObject({ code: -32603 })
  })

  test('error: not a list, or a malformed key, is refused naming the option (and the entry)', () => {
    expect(refusal({ encryptionKey: keyB, previousEncryptionKeys: keyA as never })).toMatchInlineSnapshot(`
      {
        "code": -32602,
        "message": "previousEncryptionKeys: must be an array of encryption keys (32 bytes, 0x-hex or AES-GCM CryptoKeys)",
      }
    `)
    expect(refusal({ encryptionKey: keyB, previousEncryptionKeys: [keyA, new Uint8Array(16)] })).toMatchInlineSnapshot(`
      {
        "code": -32602,
        "message": "previousEncryptionKeys[1]: must be 32 bytes (a Uint8Array or 0x-prefixed hex) or an AES-GCM CryptoKey",
      }
    `)
  })

  test('error: the encryptionKey itself (as bytes or as hex), or a key given twice, is refused: the rotation was not made', () => {
    expect(refusal({ encryptionKey: keyB, previousEncryptionKeys: [bytesToHex(keyB).toUpperCase().replace('0X', '0x') as Hex] })).toMatchInlineSnapshot(`
      {
        "code": -32602,
        "message": "previousEncryptionKeys[0]: is the encryptionKey itself: list each key the store was sealed with before once, and the new key as encryptionKey",
      }
    `)
    expect(refusal({ encryptionKey: keyB, previousEncryptionKeys: [keyA, bytesToHex(keyA) as Hex] })).toMatchInlineSnapshot(`
      {
        "code": -32602,
        "message": "previousEncryptionKeys[1]: is given twice: list each key the store was sealed with before once, and the new key as encryptionKey",
      }
    `)
  })

  test('error: previous keys with plaintextKeys are refused', () => {
    expect(refusal({ plaintextKeys: true, previousEncryptionKeys: [keyA] })).toMatchInlineSnapshot(`
      {
        "code": -32602,
        "message": "previousEncryptionKeys: cannot be used with plaintextKeys: true: keys are only ever rotated to a new encryptionKey",
      }
    `)
  })

  test('error: a CryptoKey that is not an AES-GCM key is refused at first use, naming its entry', async () => {
    const hmac = await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
    expect(await rejectionOf(keyRingOf({ encryptionKey: keyB, previousEncryptionKeys: [hmac] }, 'fileStore')())).toMatchInlineSnapshot(`
      {
        "code": -32602,
        "data": {
          "field": "previousEncryptionKeys[0]",
        },
        "message": "previousEncryptionKeys[0]: must be an AES-GCM CryptoKey with the encrypt and decrypt usages",
      }
    `)
  })
})
