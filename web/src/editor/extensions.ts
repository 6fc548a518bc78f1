// The editor's extensions. The schema they make (node and mark names,
// attributes and their defaults) must stay the one the server's
// prosemirror package reads and writes (StarterKit, TaskList, TaskItem,
// Table, Image at @tiptap 3.32.2): the server converts documents to
// Markdown, HTML and text and applies REST edits with it. Extensions that
// add no schema (collaboration, carets, placeholder) are free to change.

import type { Extensions } from '@tiptap/core'
import Collaboration from '@tiptap/extension-collaboration'
import CollaborationCaret from '@tiptap/extension-collaboration-caret'
import Image from '@tiptap/extension-image'
import { TaskItem, TaskList } from '@tiptap/extension-list'
import { TableKit } from '@tiptap/extension-table'
import { Placeholder } from '@tiptap/extensions'
import StarterKit from '@tiptap/starter-kit'
import type { DocumentSync } from './sync'

export function editorExtensions(sync: DocumentSync, user: { id: string; name: string; color: string }): Extensions {
  return [
    StarterKit.configure({
      // Yjs keeps the undo history (per user, so undo never takes back a
      // collaborator's typing).
      undoRedo: false,
      link: { openOnClick: false, autolink: true, defaultProtocol: 'https' },
    }),
    TaskList,
    TaskItem,
    TableKit.configure({ table: { resizable: true } }),
    Image,
    Placeholder.configure({ placeholder: 'Start writing…' }),
    Collaboration.configure({ document: sync.doc, field: 'default' }),
    CollaborationCaret.configure({
      provider: sync.provider,
      user,
      render: (u: Record<string, any>) => {
        const caret = document.createElement('span')
        caret.className = 'collaboration-carets__caret'
        caret.style.borderColor = u.color
        const label = document.createElement('span')
        label.className = 'collaboration-carets__label'
        label.style.backgroundColor = u.color
        label.textContent = u.name
        caret.append(label)
        return caret
      },
      selectionRender: (u: Record<string, any>) => ({
        nodeName: 'span',
        class: 'collaboration-carets__selection',
        style: `background-color: ${u.color}33`,
        'data-user': u.name,
      }),
    }),
  ]
}
