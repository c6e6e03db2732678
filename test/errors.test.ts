import { BaseError } from 'viem'
import { generatePrivateKey } from 'viem/accounts'
import { describe, expect, test } from 'vitest'
import { InternalError, causeOf, messageOf, redactHex, toRpcError } from '../src/errors.js'
import { describe as describeValue } from '../src/permissions/read.js'
import { withSessionKeys } from '../src/provider.js'
import { rejectionOf } from './utils/rejection.js'
import { nft, now, scriptedWallet } from './utils/scriptedWallet.js'

/*
 * A private key passed by mistake where an address or an id belongs is never echoed: no error
 * message, cause or data quotes a run of more than 40 hex digits (any 32-byte value could be a key).
 */

const privateKey = '0x6ba2d4ba1d6e1f1ed4f3b44d8f9d0d6f7c2b1c1c5e4e5b1c3b4a5e6f7a8b9c0d'
const hasKey = (text: string) => /[0-9a-fA-F]{41,}/.test(text)

describe('redaction of keys in errors', () => {
  test('default: a private key as the signer id is not quoted', async () => {
    const provider = withSessionKeys(scriptedWallet('erc7715'), { now: () => now })
    const error = await rejectionOf(
      provider.request({ method: 'wallet_grantPermissions', params: [{ expiry: 3600, signer: { type: 'account', data: { id: privateKey } }, permissions: [{ type: 'contract-call', data: { address: nft } }] }] }),
    )
    expect(error).toMatchObject({ code: -32602 })
    expect(error.message).toMatchInlineSnapshot(`"signer.data.id: "<64 hex digits, not shown>" is not an address (0x and 40 hex digits)"`)
  })

  test('default: sessions.revoke(privateKey) and sessions.check(privateKey) do not quote it', async () => {
    const provider = withSessionKeys(scriptedWallet('erc7715'), { now: () => now })
    const key = generatePrivateKey()
    for (const error of [await rejectionOf(provider.sessions.revoke(key)), await rejectionOf(provider.sessions.check(key, []))]) {
      expect(error.code).toBe(-32602)
      expect(hasKey(JSON.stringify(error))).toBe(false)
      expect(error.message).toContain('<64 hex digits, not shown>')
    }
  })

  test('behavior: describe redacts before it cuts, so no cut keeps most of a key', () => {
    expect(describeValue(`0x${'ab'.repeat(20)}${privateKey.slice(2)}`)).toBe('"<104 hex digits, not shown>"')
    expect(describeValue(`key: ${privateKey.slice(2)} and some more words to pass seventy characters`)).toBe('"key: <64 hex digits, not shown> and some more words to pass seventy..."')
  })

  test('behavior: addresses (40 hex digits) are kept; longer runs are not, in messages and in causes', () => {
    expect(redactHex(`to ${nft}`)).toBe(`to ${nft}`)
    expect(new InternalError(`failed near ${privateKey}`).message).toBe('failed near <64 hex digits, not shown>')
    expect(causeOf(new Error(`bad key ${privateKey}`))).toEqual({ name: 'Error', message: 'bad key <64 hex digits, not shown>' })
    expect(hasKey(JSON.stringify(toRpcError(new Error(privateKey))))).toBe(false)
  })
})

describe('messageOf', () => {
  test("behavior: a viem error is quoted as its short message and the node's details, without the docs links and version of its long message", () => {
    const error = new BaseError('Execution reverted.', { details: 'AA24 signature error' })
    expect(error.message).toContain('Version: viem@')
    expect(messageOf(error)).toBe('Execution reverted. — AA24 signature error')
    expect(messageOf(new BaseError('The request timed out.'))).toBe('The request timed out.')
  })

  test('behavior: another error is quoted as its message, anything else as its text', () => {
    expect(messageOf(new Error('ENOSPC: no space left on device'))).toBe('ENOSPC: no space left on device')
    expect(messageOf('down')).toBe('down')
    expect(messageOf(undefined)).toBe('undefined')
  })
})
