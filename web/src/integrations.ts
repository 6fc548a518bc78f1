// Extension points for the services that land later: search, export and
// version history. Each starts empty, and the app shows nothing for an
// empty one (no disabled placeholders). When a service lands, its client
// registers here and its UI appears:
//
//   - search: set `search` to a SearchProvider; the sidebar then shows a
//     search box whose results open documents.
//   - export: push DocumentActions ("Export as Markdown", "Export as PDF")
//     onto `documentActions`; they appear in the document's menu.
//   - version history: push a DocumentPanel onto `documentPanels`; the
//     document header gets a button that opens it beside the editor.

import type { ReactNode } from 'react'

export interface SearchResult {
  documentId: string
  title: string
  /** A short excerpt around the match, plain text. */
  snippet: string
}

export interface SearchProvider {
  search(query: string, signal: AbortSignal): Promise<SearchResult[]>
}

export interface DocumentContext {
  documentId: string
  title: string
  /** The caller's role on the document. */
  role: string
}

export interface DocumentAction {
  label: string
  /** Whether the action applies (an owner-only export, say). */
  available?: (d: DocumentContext) => boolean
  run: (d: DocumentContext) => void | Promise<void>
}

export interface DocumentPanel {
  id: string
  label: string
  render: (d: DocumentContext, close: () => void) => ReactNode
}

export const integrations: {
  search: SearchProvider | null
  documentActions: DocumentAction[]
  documentPanels: DocumentPanel[]
} = {
  search: null,
  documentActions: [],
  documentPanels: [],
}
