import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, test } from 'vitest'
import { parseSigner, signerAddress } from '../../src/permissions/signer.js'
import { rejection } from '../utils/rejection.js'

const key = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'
const account = privateKeyToAccount(key)

function message(value: unknown) {
  const { code, message } = rejection(() => parseSigner(value, 'signer'))
  expect(code).toBe(-32602)
  return message
}

describe('parseSigner', () => {
  test('default: no signer means the middleware makes the key', () => {
    expect(parseSigner(undefined, 'signer')).toBeUndefined()
  })
  test('behavior: an account as viem writes it ({ id }) and as later drafts do ({ address })', () => {
    const expected = { type: 'account', address: account.address }
    expect(parseSigner({ type: 'account', data: { id: account.address } }, 'signer')).toEqual(expected)
    expect(parseSigner({ type: 'account', data: { address: account.address.toLowerCase() } }, 'signer')).toEqual(expected)
  })
  test('behavior: a wallet signer needs no data', () => {
    expect(parseSigner({ type: 'wallet' }, 'signer')).toEqual({ type: 'wallet' })
  })
  test('behavior: a key by id is a secp256k1 point; by { type, publicKey } any key type', () => {
    expect(parseSigner({ type: 'key', data: { id: account.publicKey } }, 'signer')).toEqual({
      type: 'key',
      key: { keyType: 'secp256k1', publicKey: account.publicKey },
    })
    const ed = `0x${'ab'.repeat(32)}`
    expect(parseSigner({ type: 'key', data: { type: 'ed25519', publicKey: ed } }, 'signer')).toEqual({ type: 'key', key: { keyType: 'ed25519', publicKey: ed } })
  })
  test('behavior: an uncompressed secp256k1 key signs as its address', () => {
    const signer = parseSigner({ type: 'key', data: { id: account.publicKey } }, 'signer')
    expect(signer && signerAddress(signer)).toBe(account.address)
  })
  test('behavior: keys takes ids or typed keys', () => {
    expect(parseSigner({ type: 'keys', data: { ids: [account.publicKey] } }, 'signer')).toMatchObject({ type: 'keys', keys: [{ keyType: 'secp256k1' }] })
    expect(parseSigner({ type: 'keys', data: { keys: [{ type: 'schnorr', publicKey: `0x${'01'.repeat(32)}` }] } }, 'signer')).toMatchObject({ type: 'keys' })
  })
  test('error: an account that is not an address', () => {
    expect(message({ type: 'account', data: { id: '0x1234' } })).toBe('signer.data.id: "0x1234" is not an address (0x and 40 hex digits)')
  })
  test('error: an address with a wrong checksum', () => {
    // Flip the case of one letter of a checksummed address.
    const at = account.address.slice(2).search(/[a-fA-F]/) + 2
    const letter = account.address[at] as string
    const flipped = letter === letter.toLowerCase() ? letter.toUpperCase() : letter.toLowerCase()
    const bad = `${account.address.slice(0, at)}${flipped}${account.address.slice(at + 1)}`
    expect(message({ type: 'account', data: { id: bad } })).toMatch(/wrong checksum/)
  })
  test('error: a key of the wrong length for its type', () => {
    expect(message({ type: 'key', data: { type: 'ed25519', publicKey: account.publicKey } })).toBe('signer.data.publicKey: is 65 bytes; expected 32')
    expect(message({ type: 'key', data: { id: '0x1234' } })).toBe('signer.data.id: is 2 bytes; expected 33 or 65')
  })
  test('error: an unknown key type', () => {
    expect(message({ type: 'key', data: { type: 'rsa', publicKey: '0x00' } })).toMatch(/^signer.data.type: "rsa" is not a key type/)
  })
  test('error: keys must name at least one key', () => {
    expect(message({ type: 'keys', data: { ids: [] } })).toBe('signer.data.ids: must name at least one key')
    expect(message({ type: 'keys', data: { ids: ['0x12'] } })).toBe('signer.data.ids[0].id: is 1 bytes; expected 33 or 65')
  })
  test('error: an unknown signer type, and a signer that is not an object', () => {
    expect(message({ type: 'passkey', data: {} })).toBe('signer.type: "passkey" is not a signer type; use account, key, keys or wallet')
    expect(message('0xabc')).toBe('signer: must be an object, got "0xabc"')
  })
})
