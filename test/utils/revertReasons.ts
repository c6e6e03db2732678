import type { ReasonCode } from '../../src/permissions/scope.js'

/** The SessionAccount's custom errors, as the reason keyleash's scope check gives for the same rule. */
export const errorReason: Record<string, ReasonCode> = {
  SessionIsRevoked: 'revoked',
  SessionExpired: 'expired',
  SelfCallNotAllowed: 'self-call',
  TargetNotAllowed: 'target-not-allowed',
  SelectorNotAllowed: 'selector-not-allowed',
  ValueOverLimit: 'value-over-limit',
  SpendOverAllowance: 'spend-over-allowance',
  MalformedCall: 'spend-over-allowance',
  CallLimitReached: 'call-limit-reached',
}
