import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BrowserContext, chromium } from 'playwright-core'
import { type InlineConfig, createServer } from 'vite'

/** Debian's Chromium (scripts/ensure-chromium.sh); playwright cannot download its own here. */
export const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

// The flags that keep Chromium off the network this machine does not have, as root.
const flags = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

/** Headless Chromium with a fresh profile; `close` also removes the profile. */
export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'keyleash-chromium-'))
  try {
    const context = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args: flags })
    return {
      context,
      close: async () => {
        await context.close()
        rmSync(profile, { recursive: true, force: true })
      },
    }
  } catch (error) {
    rmSync(profile, { recursive: true, force: true })
    throw error
  }
}

/** A Vite dev server on 127.0.0.1 on a free port, serving `config`. */
export async function startVite(config: InlineConfig): Promise<{ url: string; close(): Promise<void> }> {
  const server = await createServer({ ...config, server: { port: 0, host: '127.0.0.1' }, logLevel: 'error' })
  await server.listen()
  return { url: server.resolvedUrls?.local[0] ?? '', close: () => server.close() }
}
