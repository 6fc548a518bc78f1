// Shared building blocks: dialogs (the native <dialog>, which traps focus
// and closes on Escape), menus with arrow-key navigation, form fields that
// show the server's field errors, avatars, notices.

import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useId,
  useRef,
  useState,
  type InputHTMLAttributes,
  type ReactNode,
} from 'react'
import { ApiError } from './api'

// Colors for people (cursors, avatars): dark enough for white text (WCAG AA
// at the label size), distinct from each other.
const palette = ['#c2410c', '#1d4ed8', '#15803d', '#7e22ce', '#be123c', '#0f766e', '#a16207', '#4338ca', '#b91c1c', '#0369a1', '#6d28d9', '#9d174d']

/** colorFor gives a stable color for a person (by user id, or any key). */
export function colorFor(key: string): string {
  let h = 2166136261
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i)
    h = Math.imul(h, 16777619)
  }
  return palette[(h >>> 0) % palette.length]
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean)
  if (parts.length === 0) return '?'
  if (parts.length === 1) return parts[0].slice(0, 2).toUpperCase()
  return (parts[0][0] + parts[parts.length - 1][0]).toUpperCase()
}

export function Avatar({ name, color, size = 28, title }: { name: string; color: string; size?: number; title?: string }) {
  return (
    <span
      className="avatar"
      role="img"
      aria-label={title ?? name}
      title={title ?? name}
      style={{ backgroundColor: color, width: size, height: size, fontSize: size * 0.4 }}
    >
      {initials(name)}
    </span>
  )
}

/** Dialog is a modal dialog. It is open while mounted; onClose runs on
 * Escape, the close button or a click on the backdrop. */
export function Dialog({
  title,
  onClose,
  children,
  wide,
}: {
  title: string
  onClose: () => void
  children: ReactNode
  wide?: boolean
}) {
  const ref = useRef<HTMLDialogElement>(null)
  const titleId = useId()
  useEffect(() => {
    const d = ref.current!
    const opener = document.activeElement as HTMLElement | null
    if (!d.open) d.showModal()
    return () => {
      opener?.focus?.()
    }
  }, [])
  return (
    <dialog
      ref={ref}
      className={wide ? 'dialog dialog-wide' : 'dialog'}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault()
        onClose()
      }}
      onMouseDown={(e) => {
        if (e.target === ref.current) onClose()
      }}
    >
      <div className="dialog-head">
        <h2 id={titleId}>{title}</h2>
        <button type="button" className="icon-button" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </div>
      <div className="dialog-body">{children}</div>
    </dialog>
  )
}

/** Field is a labelled input with an error message tied to it. */
export function Field({
  label,
  error,
  hint,
  ...input
}: { label: string; error?: string; hint?: string } & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId()
  const errId = id + '-err'
  const hintId = id + '-hint'
  const described = [error ? errId : '', hint ? hintId : ''].filter(Boolean).join(' ') || undefined
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} aria-invalid={error ? true : undefined} aria-describedby={described} {...input} />
      {hint && (
        <p id={hintId} className="hint">
          {hint}
        </p>
      )}
      {error && (
        <p id={errId} className="field-error">
          {error}
        </p>
      )}
    </div>
  )
}

/** ErrorText announces an error (role=alert) and shows nothing without one. */
export function ErrorText({ error }: { error: unknown }) {
  if (!error) return null
  return (
    <p className="error" role="alert">
      {messageOf(error)}
    </p>
  )
}

export function messageOf(e: unknown): string {
  if (e instanceof ApiError) return e.message
  if (e instanceof Error) return e.message
  return String(e)
}

export interface MenuItem {
  label: string
  onSelect: () => void
  danger?: boolean
  shortcut?: string
}

/** Menu is a button that opens a list of actions: arrow keys move, Enter
 * chooses, Escape closes and gives focus back to the button. */
export function Menu({ label, items, icon, className }: { label: string; items: MenuItem[]; icon?: ReactNode; className?: string }) {
  const [open, setOpen] = useState(false)
  const button = useRef<HTMLButtonElement>(null)
  const list = useRef<HTMLUListElement>(null)
  const id = useId()
  const close = useCallback((refocus: boolean) => {
    setOpen(false)
    if (refocus) button.current?.focus()
  }, [])
  useEffect(() => {
    if (!open) return
    const first = list.current?.querySelector<HTMLElement>('[role=menuitem]')
    first?.focus()
    function outside(e: MouseEvent) {
      if (!list.current?.contains(e.target as Node) && !button.current?.contains(e.target as Node)) close(false)
    }
    document.addEventListener('mousedown', outside)
    return () => document.removeEventListener('mousedown', outside)
  }, [open, close])
  function keys(e: React.KeyboardEvent) {
    const items = Array.from(list.current?.querySelectorAll<HTMLElement>('[role=menuitem]') ?? [])
    const i = items.indexOf(document.activeElement as HTMLElement)
    let next = -1
    if (e.key === 'ArrowDown') next = (i + 1) % items.length
    else if (e.key === 'ArrowUp') next = (i - 1 + items.length) % items.length
    else if (e.key === 'Home') next = 0
    else if (e.key === 'End') next = items.length - 1
    else if (e.key === 'Escape' || e.key === 'Tab') {
      if (e.key === 'Escape') e.preventDefault()
      close(e.key === 'Escape')
      return
    }
    if (next >= 0) {
      e.preventDefault()
      items[next]?.focus()
    }
  }
  return (
    <div className={'menu ' + (className ?? '')}>
      <button
        ref={button}
        type="button"
        className="icon-button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? id : undefined}
        aria-label={label}
        title={label}
        onClick={() => setOpen((o) => !o)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            e.preventDefault()
            setOpen(true)
          }
        }}
      >
        {icon ?? '⋯'}
      </button>
      {open && (
        <ul ref={list} id={id} role="menu" aria-label={label} className="menu-list" onKeyDown={keys}>
          {items.map((it) => (
            <li
              key={it.label}
              role="menuitem"
              tabIndex={-1}
              className={it.danger ? 'danger' : undefined}
              onClick={() => {
                close(true)
                it.onSelect()
              }}
              onKeyDown={(e) => {
                if (e.key === 'Enter' || e.key === ' ') {
                  e.preventDefault()
                  close(true)
                  it.onSelect()
                }
              }}
            >
              <span>{it.label}</span>
              {it.shortcut && <kbd>{it.shortcut}</kbd>}
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}

// Notices: short messages in a polite live region ("Moved to trash").

interface Notice {
  id: number
  text: string
  action?: { label: string; run: () => void }
}

const NoticeContext = createContext<(text: string, action?: Notice['action']) => void>(() => {})

export function NoticeProvider({ children }: { children: ReactNode }) {
  const [notices, setNotices] = useState<Notice[]>([])
  const next = useRef(1)
  const push = useCallback((text: string, action?: Notice['action']) => {
    const id = next.current++
    setNotices((ns) => [...ns.slice(-2), { id, text, action }])
    setTimeout(() => setNotices((ns) => ns.filter((n) => n.id !== id)), action ? 8000 : 4000)
  }, [])
  return (
    <NoticeContext.Provider value={push}>
      {children}
      <div className="notices" role="status" aria-live="polite">
        {notices.map((n) => (
          <div key={n.id} className="notice">
            <span>{n.text}</span>
            {n.action && (
              <button
                type="button"
                className="link-button"
                onClick={() => {
                  n.action!.run()
                  setNotices((ns) => ns.filter((x) => x.id !== n.id))
                }}
              >
                {n.action.label}
              </button>
            )}
          </div>
        ))}
      </div>
    </NoticeContext.Provider>
  )
}

export function useNotice() {
  return useContext(NoticeContext)
}

/** CopyField shows a secret or link once, with a button to copy it. */
export function CopyField({ label, value }: { label: string; value: string }) {
  const notice = useNotice()
  const id = useId()
  return (
    <div className="field copy-field">
      <label htmlFor={id}>{label}</label>
      <div className="row">
        <input id={id} readOnly value={value} onFocus={(e) => e.currentTarget.select()} spellCheck={false} />
        <button
          type="button"
          className="button"
          onClick={async () => {
            try {
              await navigator.clipboard.writeText(value)
              notice('Copied to the clipboard')
            } catch {
              notice('Select the text and copy it with Ctrl+C')
            }
          }}
        >
          Copy
        </button>
      </div>
    </div>
  )
}

/** useTitle sets the page title. */
export function useTitle(title: string) {
  useEffect(() => {
    document.title = title ? `${title} · Tandem` : 'Tandem'
  }, [title])
}

export function formatDate(s: string | null | undefined): string {
  if (!s) return ''
  const d = new Date(s)
  const now = new Date()
  const diff = (now.getTime() - d.getTime()) / 1000
  if (diff < 60) return 'just now'
  if (diff < 3600) return `${Math.floor(diff / 60)} min ago`
  if (d.toDateString() === now.toDateString()) return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
  if (diff < 7 * 86400) return d.toLocaleDateString([], { weekday: 'long' })
  return d.toLocaleDateString([], { year: 'numeric', month: 'short', day: 'numeric' })
}
