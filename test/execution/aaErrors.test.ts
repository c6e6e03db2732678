import { describe, expect, test } from 'vitest'
import { aaError } from '../../src/execution/aaErrors.js'

describe('aaError', () => {
  test('behavior: the account refusing the session key (AA24, AA22) is a 4100 that says what happened and what to do', () => {
    const error = aaError('UserOperation reverted during simulation with reason: AA24 signature error', '0xc0ffee')
    expect(error?.code).toBe(4100)
    expect(error?.message).toMatchInlineSnapshot(`"AA24: the account refused the session key's signature: the key is not an active signer of the account for these calls (revoked, expired, or a target or value the account does not allow it)"`)
    expect(error?.data).toMatchObject({ aaCode: 'AA24', context: '0xc0ffee', hint: 'grant the key again, or keep the calls to what the account granted' })
    expect(aaError('FailedOp(0, "AA22 expired or not due")', '0x01')?.code).toBe(4100)
  })

  test('behavior: what the account\'s funds, nonce or gas got wrong is a -32603 with what to do', () => {
    expect(aaError('AA21 didn\'t pay prefund', '0x01')).toMatchObject({ code: -32603, message: 'AA21: the account has too little ETH (or EntryPoint deposit) to pay for the UserOperation\'s gas', data: { hint: 'fund the account, or pay through a paymaster' } })
    expect(aaError('AA25 invalid account nonce', '0x01')?.data?.hint).toBe('send again (keyleash reads a fresh nonce)')
    expect(aaError('AA40 over verificationGasLimit', '0x01')?.data?.hint).toContain('--v6-verification-gas-limit-multiplier')
  })

  test('default: a code keyleash does not know is still named; a message with no AA code is not an AA error', () => {
    expect(aaError('AA99 something new', '0x01')?.message).toBe('AA99: the EntryPoint refused the UserOperation (AA99 something new)')
    expect(aaError('execution reverted', '0x01')).toBeUndefined()
    expect(aaError('PAA24x', '0x01')).toBeUndefined()
  })
})
