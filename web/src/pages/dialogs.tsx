// Small dialogs shared by the home and document pages: name something,
// choose a folder, confirm a destructive action.

import { useEffect, useState, type FormEvent } from 'react'
import { api, type Folder } from '../api'
import { Icon } from '../editor/icons'
import { Dialog, ErrorText, Field } from '../ui'

/** TextDialog asks for one line of text (a new name). */
export function TextDialog({
  title,
  label,
  initial = '',
  submit,
  onSubmit,
  onClose,
}: {
  title: string
  label: string
  initial?: string
  submit: string
  onSubmit: (value: string) => Promise<void>
  onClose: () => void
}) {
  const [value, setValue] = useState(initial)
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  async function go(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    try {
      await onSubmit(value.trim())
      onClose()
    } catch (err) {
      setError(err)
      setBusy(false)
    }
  }
  return (
    <Dialog title={title} onClose={onClose}>
      <form onSubmit={go}>
        <Field label={label} value={value} autoFocus required maxLength={500} onChange={(e) => setValue(e.target.value)} onFocus={(e) => e.currentTarget.select()} />
        <ErrorText error={error} />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={busy || !value.trim()}>
            {submit}
          </button>
        </div>
      </form>
    </Dialog>
  )
}

/** ConfirmDialog asks before something that cannot be undone. */
export function ConfirmDialog({
  title,
  message,
  confirm,
  onConfirm,
  onClose,
}: {
  title: string
  message: string
  confirm: string
  onConfirm: () => Promise<void>
  onClose: () => void
}) {
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  return (
    <Dialog title={title} onClose={onClose}>
      <p>{message}</p>
      <ErrorText error={error} />
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onClose} autoFocus>
          Cancel
        </button>
        <button
          type="button"
          className="button danger"
          disabled={busy}
          onClick={async () => {
            setBusy(true)
            try {
              await onConfirm()
              onClose()
            } catch (e) {
              setError(e)
              setBusy(false)
            }
          }}
        >
          {confirm}
        </button>
      </div>
    </Dialog>
  )
}

/** MoveDialog browses folders and moves something into the one shown.
 * exclude hides a folder (and so its subtree) when moving that folder. */
export function MoveDialog({
  what,
  from,
  exclude,
  onMove,
  onClose,
}: {
  what: string
  from: string | null
  exclude?: string
  onMove: (folderId: string | null) => Promise<void>
  onClose: () => void
}) {
  const [at, setAt] = useState<Folder | null>(null) // null: the top level
  const [children, setChildren] = useState<Folder[] | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  useEffect(() => {
    let live = true
    setChildren(null)
    api.folders(at?.id).then(
      (p) => live && setChildren(p.items.filter((f) => f.id !== exclude)),
      (e) => live && setError(e),
    )
    return () => {
      live = false
    }
  }, [at, exclude])
  const here = at?.id ?? null
  return (
    <Dialog title={`Move “${what}”`} onClose={onClose}>
      <nav className="crumbs picker-crumbs" aria-label="Folder">
        <button type="button" className="link-button" onClick={() => setAt(null)}>
          Home
        </button>
        {at?.path.map((p) => (
          <span key={p.id}>
            <span aria-hidden="true"> / </span>
            <button type="button" className="link-button" onClick={() => api.folder(p.id).then(setAt, setError)}>
              {p.name}
            </button>
          </span>
        ))}
      </nav>
      <ul className="picker" aria-label="Folders here" aria-busy={children === null}>
        {children?.length === 0 && <li className="muted">No folders here</li>}
        {children?.map((f) => (
          <li key={f.id}>
            <button type="button" className="picker-item" onClick={() => setAt(f)}>
              <Icon name="folder" /> {f.name}
            </button>
          </li>
        ))}
      </ul>
      <ErrorText error={error} />
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
        <button
          type="button"
          className="button primary"
          disabled={busy || here === from}
          onClick={async () => {
            setBusy(true)
            try {
              await onMove(here)
              onClose()
            } catch (e) {
              setError(e)
              setBusy(false)
            }
          }}
        >
          {here === from ? 'Already here' : `Move to ${at ? at.name : 'Home'}`}
        </button>
      </div>
    </Dialog>
  )
}
