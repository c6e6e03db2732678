import type { RevocableGrant, ResolvedGrantRequest } from './types.js'

/**
 * What an ERC-7715 wallet granted, read leniently from any answer, even one `decode` refuses
 * (a NaN expiry, a permission it cannot read): the `permissionsContext` or `context` of the
 * answer, or of each item of a list answer, paired with the signer of the request at the same
 * place. What keyleash revokes at the wallet when it does not keep a grant. An answer with no
 * readable context names nothing to revoke: `[]`.
 *
 * @example
 * grantedContexts({ permissionsContext: '0x01', expiry: Number.NaN }, [request]) // [{ id: '0x01', signer: request.signer }]
 * grantedContexts([{ context: '0x01' }, { context: 7 }], [first, second]) // [{ id: '0x01', signer: first.signer }]
 */
export function grantedContexts(result: unknown, requests: readonly ResolvedGrantRequest[]): RevocableGrant[] {
  const answers = Array.isArray(result) ? result : [result]
  const granted: RevocableGrant[] = []
  answers.forEach((answer, i) => {
    const id = contextOf(answer)
    // A list longer than the requests still names grants: revoke them with the last signer asked.
    const request = requests[i] ?? requests[requests.length - 1]
    if (id !== undefined && request !== undefined) granted.push({ id, signer: request.signer })
  })
  return granted
}

function contextOf(answer: unknown): string | undefined {
  if (typeof answer === 'string') return answer === '' ? undefined : answer
  if (typeof answer !== 'object' || answer === null) return undefined
  const { permissionsContext, context } = answer as { permissionsContext?: unknown; context?: unknown }
  const id = typeof permissionsContext === 'string' ? permissionsContext : context
  return typeof id === 'string' && id !== '' ? id : undefined
}
