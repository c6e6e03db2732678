/** A fenced `ts` block of a markdown file: the heading it sits under, its place there, and its code. */
export type Snippet = { heading: string; index: number; code: string }

/**
 * The fenced `ts` blocks of `markdown`, in order, each with the heading it sits under.
 *
 * @example
 * snippets(readFileSync('README.md', 'utf8')).find((s) => s.heading === 'Quick start, on the development wallet')
 */
export function snippets(markdown: string): Snippet[] {
  const found: Snippet[] = []
  let heading = '(top)'
  let index = 0
  const lines = markdown.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (/^#{1,3} /.test(line)) {
      heading = line.replace(/^#+ /, '')
      index = 0
    }
    if (line.trim() !== '```ts') continue
    const end = lines.indexOf('```', i + 1)
    found.push({ heading, index: index++, code: lines.slice(i + 1, end).join('\n') })
    i = end
  }
  return found
}
