import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'

/** The body the SDK posts to `POST /v1/sessions` (its `CreateSessionRequest`). */
export type SdkSessionRequest = {
  address: string
  chainId: number
  validAfter: number
  validUntil: number
  optimistic: boolean
  whitelist: string[]
  account: string
  limit?: number
  policy?: string
}

type RegisterSession = (parameters: {
  params: unknown[]
  signer: unknown
  account: { id: string; chainId: number; accountType: string }
  authentication: { token: string }
  backendClient: unknown
}) => Promise<unknown>

let registerSession: Promise<RegisterSession> | undefined

/**
 * What Openfort's own SDK (`@openfort/openfort-js`, its `registerSession`, which `EvmProvider`
 * runs for `wallet_grantPermissions`) turns `params` into for its backend: the SDK's encoding,
 * with only its network edge (the sessions API client) replaced by one that keeps the request
 * and stops there. Throws what the SDK throws for params it refuses.
 *
 * @example
 * const body = await sdkSessionRequest(openfort.encode([request], { now }))
 */
export async function sdkSessionRequest(params: unknown[], account = { id: 'acc_test', chainId: 31337, accountType: 'Smart Account' }): Promise<SdkSessionRequest> {
  registerSession ??= (async () => {
    const root = dirname(createRequire(import.meta.url).resolve('@openfort/openfort-js/package.json'))
    const module = (await import(pathToFileURL(join(root, 'dist/sdk/src/wallets/evm/registerSession.js')).href)) as { registerSession: RegisterSession }
    return module.registerSession
  })()
  let sent: SdkSessionRequest | undefined
  const stop = new Error('the request was kept; nothing was sent')
  const backendClient = {
    config: { backend: { accessToken: 'pk_test' } },
    sessionsApi: {
      createSession: async ({ createSessionRequest }: { createSessionRequest: SdkSessionRequest }) => {
        sent = createSessionRequest
        throw stop
      },
    },
  }
  try {
    await (await registerSession)({ params, signer: {}, account, authentication: { token: 'tok_test' }, backendClient })
  } catch (error) {
    if (sent === undefined) throw error
  }
  if (sent === undefined) throw new Error('the SDK sent no session request')
  return sent
}
