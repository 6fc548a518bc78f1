// The formatting toolbar: one tab stop (arrow keys move between buttons,
// as ARIA's toolbar pattern asks), every button labelled with its name and
// shortcut, pressed state for marks and blocks in force at the cursor.

import type { Editor } from '@tiptap/core'
import { TextSelection } from '@tiptap/pm/state'
import type { EditorView } from '@tiptap/pm/view'
import { useEditorState } from '@tiptap/react'
import { useRef, useState, type ReactNode } from 'react'
import { Dialog, Field } from '../ui'
import { Icon, type IconName } from './icons'

const mac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform)
const mod = mac ? '⌘' : 'Ctrl+'
const alt = mac ? '⌥' : 'Alt+'
const shift = mac ? '⇧' : 'Shift+'

/** shortcut turns "Mod-Shift-8" into the platform's spelling. */
function shortcut(keys: string): string {
  return keys
    .split('-')
    .map((k) => (k === 'Mod' ? mod : k === 'Alt' ? alt : k === 'Shift' ? shift : k.toUpperCase()))
    .join('')
}

interface Tool {
  name: string
  icon: IconName
  keys?: string
  active?: boolean
  disabled?: boolean
  run: () => void
}

export function Toolbar({ editor, onLink }: { editor: Editor; onLink: () => void }) {
  const s = useEditorState({
    editor,
    selector: ({ editor: e }) => ({
      bold: e.isActive('bold'),
      italic: e.isActive('italic'),
      underline: e.isActive('underline'),
      strike: e.isActive('strike'),
      code: e.isActive('code'),
      link: e.isActive('link'),
      bulletList: e.isActive('bulletList'),
      orderedList: e.isActive('orderedList'),
      taskList: e.isActive('taskList'),
      blockquote: e.isActive('blockquote'),
      codeBlock: e.isActive('codeBlock'),
      table: e.isActive('table'),
      block: e.isActive('heading', { level: 1 })
        ? 'h1'
        : e.isActive('heading', { level: 2 })
          ? 'h2'
          : e.isActive('heading', { level: 3 })
            ? 'h3'
            : e.isActive('heading', { level: 4 })
              ? 'h4'
              : e.isActive('paragraph')
                ? 'p'
                : '',
      canUndo: e.can().undo(),
      canRedo: e.can().redo(),
    }),
  })
  const bar = useRef<HTMLDivElement>(null)
  const chain = () => editor.chain().focus()

  const groups: Tool[][] = [
    [
      { name: 'Undo', icon: 'undo', keys: 'Mod-z', disabled: !s.canUndo, run: () => chain().undo().run() },
      { name: 'Redo', icon: 'redo', keys: 'Mod-Shift-z', disabled: !s.canRedo, run: () => chain().redo().run() },
    ],
    [
      { name: 'Bold', icon: 'bold', keys: 'Mod-b', active: s.bold, run: () => chain().toggleBold().run() },
      { name: 'Italic', icon: 'italic', keys: 'Mod-i', active: s.italic, run: () => chain().toggleItalic().run() },
      { name: 'Underline', icon: 'underline', keys: 'Mod-u', active: s.underline, run: () => chain().toggleUnderline().run() },
      { name: 'Strikethrough', icon: 'strike', keys: 'Mod-Shift-s', active: s.strike, run: () => chain().toggleStrike().run() },
      { name: 'Inline code', icon: 'code', keys: 'Mod-e', active: s.code, run: () => chain().toggleCode().run() },
      { name: 'Link', icon: 'link', keys: 'Mod-k', active: s.link, run: onLink },
    ],
    [
      { name: 'Bulleted list', icon: 'bulletList', keys: 'Mod-Shift-8', active: s.bulletList, run: () => chain().toggleBulletList().run() },
      { name: 'Numbered list', icon: 'orderedList', keys: 'Mod-Shift-7', active: s.orderedList, run: () => chain().toggleOrderedList().run() },
      { name: 'Task list', icon: 'taskList', keys: 'Mod-Shift-9', active: s.taskList, run: () => chain().toggleTaskList().run() },
      { name: 'Quote', icon: 'quote', keys: 'Mod-Shift-b', active: s.blockquote, run: () => chain().toggleBlockquote().run() },
      { name: 'Code block', icon: 'codeBlock', keys: 'Mod-Alt-c', active: s.codeBlock, run: () => chain().toggleCodeBlock().run() },
      { name: 'Divider', icon: 'rule', run: () => chain().setHorizontalRule().run() },
      {
        name: 'Insert table',
        icon: 'table',
        disabled: s.table,
        run: () => chain().insertTable({ rows: 3, cols: 3, withHeaderRow: true }).run(),
      },
    ],
  ]
  const tableTools: Tool[] = [
    { name: 'Add row above', icon: 'rowAbove', run: () => chain().addRowBefore().run() },
    { name: 'Add row below', icon: 'rowBelow', run: () => chain().addRowAfter().run() },
    { name: 'Add column left', icon: 'colLeft', run: () => chain().addColumnBefore().run() },
    { name: 'Add column right', icon: 'colRight', run: () => chain().addColumnAfter().run() },
    { name: 'Delete row', icon: 'rowDelete', run: () => chain().deleteRow().run() },
    { name: 'Delete column', icon: 'colDelete', run: () => chain().deleteColumn().run() },
    { name: 'Toggle header row', icon: 'headerRow', run: () => chain().toggleHeaderRow().run() },
    { name: 'Delete table', icon: 'tableDelete', run: () => chain().deleteTable().run() },
  ]

  // Roving tab stop: arrow keys, Home and End move among the controls.
  function keys(e: React.KeyboardEvent) {
    if (!['ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(e.key)) return
    const items = Array.from(bar.current?.querySelectorAll<HTMLElement>('button:not([disabled]), select') ?? [])
    const i = items.indexOf(document.activeElement as HTMLElement)
    if (i < 0) return
    if (document.activeElement instanceof HTMLSelectElement && (e.key === 'Home' || e.key === 'End')) return
    e.preventDefault()
    const n =
      e.key === 'ArrowRight' ? (i + 1) % items.length : e.key === 'ArrowLeft' ? (i - 1 + items.length) % items.length : e.key === 'Home' ? 0 : items.length - 1
    for (const it of items) it.tabIndex = -1
    items[n].tabIndex = 0
    items[n].focus()
  }

  let first = true
  function button(t: Tool): ReactNode {
    const tab = first && !t.disabled ? 0 : -1
    if (tab === 0) first = false
    const label = t.keys ? `${t.name} (${shortcut(t.keys)})` : t.name
    return (
      <button
        key={t.name}
        type="button"
        className={t.active ? 'tool active' : 'tool'}
        aria-label={t.name}
        aria-keyshortcuts={t.keys?.replace('Mod', mac ? 'Meta' : 'Control')}
        aria-pressed={t.active === undefined ? undefined : t.active}
        title={label}
        disabled={t.disabled}
        tabIndex={tab}
        onMouseDown={(e) => e.preventDefault()}
        onClick={t.run}
      >
        <Icon name={t.icon} />
      </button>
    )
  }

  return (
    <div ref={bar} className="toolbar" role="toolbar" aria-label="Formatting" aria-controls="editor-content" onKeyDown={keys}>
      {groups.slice(0, 1).map((g, i) => (
        <div className="tool-group" key={'g' + i}>
          {g.map(button)}
        </div>
      ))}
      <div className="tool-group">
        <select
          aria-label="Text style"
          title="Text style"
          tabIndex={-1}
          value={s.block}
          onChange={(e) => {
            const v = e.target.value
            if (v === 'p') chain().setParagraph().run()
            else if (v) chain().setHeading({ level: Number(v.slice(1)) as 1 | 2 | 3 | 4 }).run()
          }}
        >
          <option value="p">Text</option>
          <option value="h1">Heading 1</option>
          <option value="h2">Heading 2</option>
          <option value="h3">Heading 3</option>
          <option value="h4">Heading 4</option>
          {s.block === '' && <option value="">—</option>}
        </select>
      </div>
      {groups.slice(1).map((g, i) => (
        <div className="tool-group" key={'h' + i}>
          {g.map(button)}
        </div>
      ))}
      {s.table && (
        <div className="tool-group table-tools" aria-label="Table">
          {tableTools.map(button)}
        </div>
      )}
    </div>
  )
}

/**
 * takeDOMSelection gives the editor the page's selection now. A selection
 * made with the keyboard (Shift+Home) reaches the editor with the page's
 * selectionchange event, a moment after the key; a dialog opened by a key
 * pressed just after it takes the focus first, and an editor without the
 * focus ignores the event, so the dialog would act on the old caret.
 */
export function takeDOMSelection(view: EditorView) {
  const sel = view.dom.ownerDocument.getSelection()
  if (!sel?.anchorNode || !sel.focusNode || !view.dom.contains(sel.anchorNode) || !view.dom.contains(sel.focusNode)) return
  try {
    const anchor = view.posAtDOM(sel.anchorNode, sel.anchorOffset)
    const head = view.posAtDOM(sel.focusNode, sel.focusOffset)
    const cur = view.state.selection
    if (anchor !== cur.anchor || head !== cur.head) {
      view.dispatch(view.state.tr.setSelection(TextSelection.create(view.state.doc, anchor, head)))
    }
  } catch {
    // A DOM position the editor does not map: keep its own selection.
  }
}

/** LinkDialog sets, changes or removes the link at the selection. */
export function LinkDialog({ editor, onClose }: { editor: Editor; onClose: () => void }) {
  const current = (editor.getAttributes('link').href as string | undefined) ?? ''
  const [href, setHref] = useState(current)
  const [error, setError] = useState('')
  function apply(e: React.FormEvent) {
    e.preventDefault()
    let url = href.trim()
    if (!url) {
      editor.chain().focus().extendMarkRange('link').unsetLink().run()
      onClose()
      return
    }
    if (!/^[a-z][a-z0-9+.-]*:/i.test(url) && !url.startsWith('/') && !url.startsWith('#')) url = 'https://' + url
    if (!/^(https?:|mailto:|tel:|\/|#)/i.test(url)) {
      setError('Use a web address (https://…), mailto: or tel:.')
      return
    }
    const chain = editor.chain().focus().extendMarkRange('link')
    if (editor.state.selection.empty && !current) {
      chain.insertContent({ type: 'text', text: href.trim(), marks: [{ type: 'link', attrs: { href: url } }] })
    } else {
      chain.setLink({ href: url })
    }
    // The caret goes right after the link, as in other editors: a key
    // pressed next neither replaces the linked text nor extends the link.
    chain
      .command(({ tr }) => {
        tr.setSelection(TextSelection.create(tr.doc, tr.selection.to))
        tr.removeStoredMark(editor.schema.marks.link)
        return true
      })
      .run()
    onClose()
  }
  return (
    <Dialog title={current ? 'Edit link' : 'Add link'} onClose={onClose}>
      <form onSubmit={apply}>
        <Field
          label="Address"
          type="text"
          inputMode="url"
          autoFocus
          placeholder="https://example.com"
          value={href}
          error={error}
          onChange={(e) => setHref(e.target.value)}
        />
        <div className="dialog-actions">
          {current && (
            <button
              type="button"
              className="button"
              onClick={() => {
                editor.chain().focus().extendMarkRange('link').unsetLink().run()
                onClose()
              }}
            >
              Remove link
            </button>
          )}
          <button type="submit" className="button primary">
            {current ? 'Save' : 'Add link'}
          </button>
        </div>
      </form>
    </Dialog>
  )
}
