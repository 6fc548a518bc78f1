// The document page: title, breadcrumbs, who is here, the sync state, the
// share dialog and the menu around a Tiptap editor on the document's Yjs
// content. Also the read-only page that a public link opens.

import { EditorContent, useEditor } from '@tiptap/react'
import { useEffect, useRef, useState, useSyncExternalStore } from 'react'
import { api, ApiError, newKey, type Doc, type Folder } from '../api'
import { editorExtensions } from '../editor/extensions'
import { Icon } from '../editor/icons'
import { DocumentSync, type SyncSnapshot } from '../editor/sync'
import { LinkDialog, takeDOMSelection, Toolbar } from '../editor/Toolbar'
import { integrations, type DocumentContext } from '../integrations'
import { addNavigationGuard, Link, navigate } from '../router'
import { useMe, userColor } from '../session'
import { Avatar, ErrorText, Menu, messageOf, useNotice, useTitle, type MenuItem } from '../ui'
import { MoveDialog } from './dialogs'
import { ShareDialog } from './ShareDialog'

const roleRank: Record<string, number> = { viewer: 1, commenter: 2, editor: 3, owner: 4 }

export default function DocumentPage({ id }: { id: string }) {
  const me = useMe()
  const user = { id: me.user.id, name: me.user.name || me.user.email, color: userColor(me) }
  return <DocumentView key={id} id={id} user={user} />
}

/** PublicDocumentPage is a document opened with a public link: the token
 * is in the URL's fragment, which browsers never send to servers. */
export function PublicDocumentPage({ id, token }: { id: string; token: string }) {
  return (
    <div className="public-page">
      <header className="public-bar">
        <span className="brand">Tandem</span>
        <span className="muted">Shared with a public link · view only</span>
        <a className="button" href="/login">
          Sign in
        </a>
      </header>
      <DocumentView id={id} user={null} token={token} />
    </div>
  )
}

function DocumentView({ id, user, token }: { id: string; user: { id: string; name: string; color: string } | null; token?: string }) {
  const [doc, setDoc] = useState<Doc | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [sync, setSync] = useState<DocumentSync | null>(null)

  useEffect(() => {
    let live = true
    api
      .document(id, token)
      .then((d) => live && setDoc(d))
      .catch((e) => live && setError(e))
    return () => {
      live = false
    }
  }, [id, token])

  useEffect(() => {
    const s = new DocumentSync({ documentId: id, user, token })
    setSync(s)
    return () => release(s)
    // The user's identity is fixed for the page's life (the page is keyed
    // by document and remounts when the session changes).
  }, [id, token])

  useTitle(doc?.title || (error ? 'Not found' : ''))

  if (error) {
    const notFound = error instanceof ApiError && (error.status === 404 || error.status === 401)
    return (
      <div className="page-message">
        <h1>{notFound ? 'This document is not available' : 'The document could not be opened'}</h1>
        <p>{notFound ? 'It may have been deleted, or you may not have access to it.' : messageOf(error)}</p>
        {user && <Link to="/">Back to your documents</Link>}
      </div>
    )
  }
  if (!sync) return null
  return <Loaded doc={doc} setDoc={setDoc} sync={sync} user={user} publicLink={!!token} />
}

/** release destroys a document's sync once the server has acknowledged
 * every edit (at most 10 s later): leaving the page right after typing
 * must not drop the last keystrokes' acknowledgement. Unacknowledged edits
 * are in IndexedDB either way. */
function release(s: DocumentSync) {
  if (!s.snapshot.unsynced || s.snapshot.state === 'offline') {
    s.destroy()
    return
  }
  const timer = setTimeout(done, 10000)
  const unsub = s.subscribe(() => {
    if (!s.snapshot.unsynced) done()
  })
  function done() {
    clearTimeout(timer)
    unsub()
    s.destroy()
  }
}

function useSnapshot(sync: DocumentSync): SyncSnapshot {
  return useSyncExternalStore(
    (l) => sync.subscribe(l),
    () => sync.snapshot,
  )
}

function Loaded({
  doc,
  setDoc,
  sync,
  user,
  publicLink,
}: {
  doc: Doc | null
  setDoc: (d: Doc) => void
  sync: DocumentSync
  user: { id: string; name: string; color: string } | null
  publicLink: boolean
}) {
  const snap = useSnapshot(sync)
  const role = doc?.role ?? 'viewer'
  const canEdit = !!user && !!doc && roleRank[role] >= roleRank.editor && !doc.trashed_at && !snap.readOnly && snap.state !== 'denied'
  const [linkOpen, setLinkOpen] = useState(false)
  const linkOpenRef = useRef(setLinkOpen)
  linkOpenRef.current = setLinkOpen

  const editor = useEditor(
    {
      extensions: editorExtensions(sync, user ?? { id: '', name: 'Guest (public link)', color: '#57606a' }),
      editable: false,
      injectCSS: false,
      shouldRerenderOnTransaction: false,
      editorProps: {
        attributes: {
          id: 'editor-content',
          class: 'prose',
          'aria-label': 'Document content',
          'aria-multiline': 'true',
          role: 'textbox',
          spellcheck: 'true',
        },
        handleKeyDown: (view, e) => {
          if (view.editable && (e.metaKey || e.ctrlKey) && !e.altKey && e.key.toLowerCase() === 'k') {
            e.preventDefault()
            takeDOMSelection(view)
            linkOpenRef.current(true)
            return true
          }
          return false
        },
      },
    },
    [sync],
  )

  useEffect(() => {
    if (!editor) return
    editor.setEditable(canEdit)
    editor.view.dom.setAttribute('aria-readonly', String(!canEdit))
  }, [editor, canEdit])

  // Warn before leaving with edits the server has not acknowledged: on
  // closing or reloading the tab, and on navigating inside the app while
  // offline (online, release() waits for the acknowledgements instead).
  useEffect(() => {
    function beforeUnload(e: BeforeUnloadEvent) {
      if (sync.snapshot.unsynced) {
        e.preventDefault()
        e.returnValue = ''
      }
    }
    window.addEventListener('beforeunload', beforeUnload)
    const unguard = addNavigationGuard(() => {
      if (!sync.snapshot.unsynced || sync.snapshot.state !== 'offline') return true
      return window.confirm(
        'You are offline and some of your edits have not reached the server yet. They are kept on this device and will be sent the next time you open this document. Leave anyway?',
      )
    })
    return () => {
      window.removeEventListener('beforeunload', beforeUnload)
      unguard()
    }
  }, [sync])

  if (snap.state === 'denied' && !doc) {
    return (
      <div className="page-message">
        <h1>This document is not available</h1>
        <p>{snap.deniedReason}</p>
      </div>
    )
  }

  return (
    <div className="document-page">
      <DocumentHeader doc={doc} setDoc={setDoc} snap={snap} canEdit={canEdit} publicLink={publicLink} selfId={user?.id ?? ''} />
      {editor && canEdit && <Toolbar editor={editor} onLink={() => setLinkOpen(true)} />}
      {doc?.trashed_at && <TrashedBanner doc={doc} setDoc={setDoc} />}
      <div className={'editor-scroll' + (snap.loaded ? '' : ' loading')} aria-busy={!snap.loaded}>
        <article className="editor-sheet">
          <Title
            doc={doc}
            setDoc={setDoc}
            canEdit={canEdit && !!doc}
            onEnter={() => {
              if (!editor) return
              // Focus now, not on the next frame as Tiptap's focus does, so
              // that the next keystroke lands in the document.
              editor.commands.setTextSelection(1)
              editor.view.focus()
            }}
          />
          <EditorContent editor={editor} />
        </article>
      </div>
      {linkOpen && editor && <LinkDialog editor={editor} onClose={() => setLinkOpen(false)} />}
    </div>
  )
}

function TrashedBanner({ doc, setDoc }: { doc: Doc; setDoc: (d: Doc) => void }) {
  const [error, setError] = useState<unknown>(null)
  return (
    <div className="banner" role="note">
      This document is in the trash and cannot be edited.
      {roleRank[doc.role ?? 'viewer'] >= roleRank.editor && (
        <button
          type="button"
          className="button"
          onClick={() =>
            api
              .restoreDocument(doc.id)
              .then(setDoc)
              .catch(setError)
          }
        >
          Restore
        </button>
      )}
      <ErrorText error={error} />
    </div>
  )
}

/** Title edits the document's title in place; it is saved a moment after
 * typing stops, and at once on Enter or leaving the field. */
function Title({ doc, setDoc, canEdit, onEnter }: { doc: Doc | null; setDoc: (d: Doc) => void; canEdit: boolean; onEnter: () => void }) {
  const [value, setValue] = useState(doc?.title ?? '')
  const [error, setError] = useState<unknown>(null)
  const saved = useRef(doc?.title ?? '')
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  useEffect(() => {
    if (doc && doc.title !== saved.current) {
      saved.current = doc.title
      setValue(doc.title)
    }
  }, [doc])
  if (!canEdit || !doc) return <h1 className="doc-title">{doc?.title || 'Untitled'}</h1>
  function save(v: string) {
    clearTimeout(timer.current)
    const t = v.trim()
    if (t === saved.current || !doc) return
    saved.current = t
    api
      .updateDocument(doc.id, { title: t })
      .then((d) => {
        setError(null)
        setDoc({ ...doc, ...d, role: d.role ?? doc.role, favorite: doc.favorite })
      })
      .catch((e) => {
        saved.current = ''
        setError(e)
      })
  }
  return (
    <>
      <input
        className="doc-title"
        aria-label="Title"
        placeholder="Untitled"
        value={value}
        maxLength={500}
        onChange={(e) => {
          setValue(e.target.value)
          clearTimeout(timer.current)
          const v = e.target.value
          timer.current = setTimeout(() => save(v), 700)
        }}
        onBlur={() => save(value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' || e.key === 'ArrowDown') {
            e.preventDefault()
            save(value)
            onEnter()
          }
        }}
      />
      <ErrorText error={error} />
    </>
  )
}

function SyncIndicator({ snap, readOnly }: { snap: SyncSnapshot; readOnly: boolean }) {
  // "Saving" shows only when acknowledgements take a moment, so that the
  // indicator (and screen readers) do not flicker on every keystroke.
  const [slow, setSlow] = useState(false)
  useEffect(() => {
    if (snap.state !== 'saving') {
      setSlow(false)
      return
    }
    const t = setTimeout(() => setSlow(true), 400)
    return () => clearTimeout(t)
  }, [snap.state])
  let state = snap.state
  if ((state === 'saved' || state === 'saving') && readOnly) state = 'readonly'
  const shown = state === 'saving' && !slow ? 'saved' : state
  const labels: Record<string, string> = {
    connecting: 'Connecting…',
    saving: 'Saving…',
    saved: 'Saved',
    offline: snap.unsynced ? 'Offline · edits kept on this device' : 'Offline',
    readonly: 'View only',
    denied: 'No access',
  }
  const titles: Record<string, string> = {
    saved: 'Every change is stored on the server',
    saving: 'Sending your latest changes',
    offline: 'Tandem cannot be reached. Keep writing: your edits are kept on this device and sent when the connection returns.',
    readonly: 'You can read this document but not change it',
    connecting: 'Connecting to Tandem',
    denied: snap.deniedReason,
  }
  return (
    <div className={'sync-state sync-' + shown} data-testid="sync-state" data-state={state} role="status" title={titles[shown]}>
      <Icon name={shown === 'offline' ? 'cloudOff' : shown === 'readonly' ? 'lock' : 'check'} size={16} />
      <span>{labels[shown]}</span>
    </div>
  )
}

function Presence({ snap, selfId }: { snap: SyncSnapshot; selfId: string }) {
  // One avatar per person: several tabs of one person count once, and the
  // viewer's own other tabs not at all.
  const seen = new Set<string>()
  const others = snap.presence.filter((p) => {
    const key = p.userId || 'client:' + p.clientId
    if (p.self || (selfId && p.userId === selfId) || seen.has(key)) return false
    seen.add(key)
    return true
  })
  if (others.length === 0) return null
  const shown = others.slice(0, 5)
  return (
    <div className="presence" role="group" aria-label={`Also here: ${others.map((p) => p.name).join(', ')}`}>
      {shown.map((p) => (
        <Avatar key={p.clientId} name={p.name} color={p.color} title={`${p.name} is here`} />
      ))}
      {others.length > shown.length && <span className="avatar more">+{others.length - shown.length}</span>}
    </div>
  )
}

function DocumentHeader({
  doc,
  setDoc,
  snap,
  canEdit,
  publicLink,
  selfId,
}: {
  doc: Doc | null
  setDoc: (d: Doc) => void
  snap: SyncSnapshot
  canEdit: boolean
  publicLink: boolean
  selfId: string
}) {
  const [folder, setFolder] = useState<Folder | null>(null)
  const [dialog, setDialog] = useState<'share' | 'move' | null>(null)
  const [panel, setPanel] = useState<string | null>(null)
  const notice = useNotice()
  useEffect(() => {
    if (!doc?.folder_id || publicLink) {
      setFolder(null)
      return
    }
    api.folder(doc.folder_id).then(setFolder, () => setFolder(null))
  }, [doc?.folder_id, publicLink])

  const role = doc?.role ?? 'viewer'
  const ctx: DocumentContext | null = doc ? { documentId: doc.id, title: doc.title, role } : null
  const items: MenuItem[] = []
  if (doc && !publicLink) {
    items.push({
      label: doc.favorite ? 'Remove from favorites' : 'Add to favorites',
      onSelect: () => {
        const on = !doc.favorite
        api.setFavorite(doc.id, on).then(
          () => setDoc({ ...doc, favorite: on }),
          (e) => notice(messageOf(e)),
        )
      },
    })
    if (roleRank[role] >= roleRank.editor && !doc.trashed_at) {
      items.push({ label: 'Move to…', onSelect: () => setDialog('move') })
    }
    items.push({
      label: 'Duplicate',
      onSelect: () =>
        api.duplicateDocument(doc.id, newKey()).then(
          (d) => {
            notice('Copy created')
            navigate(`/d/${d.id}`)
          },
          (e) => notice(messageOf(e)),
        ),
    })
    for (const a of integrations.documentActions) {
      if (ctx && (!a.available || a.available(ctx))) items.push({ label: a.label, onSelect: () => void a.run(ctx) })
    }
    if (roleRank[role] >= roleRank.editor && !doc.trashed_at) {
      items.push({
        label: 'Move to trash',
        danger: true,
        onSelect: () =>
          api.trashDocument(doc.id).then(
            () => {
              notice('Moved to trash')
              navigate('/')
            },
            (e) => notice(messageOf(e)),
          ),
      })
    }
  }

  return (
    <header className="doc-header">
      <nav className="crumbs" aria-label="Location">
        {!publicLink && (
          <>
            <Link to="/">Home</Link>
            {folder?.path.map((f) => (
              <span key={f.id}>
                <span aria-hidden="true"> / </span>
                <Link to={`/folders/${f.id}`}>{f.name}</Link>
              </span>
            ))}
          </>
        )}
      </nav>
      <div className="doc-header-end">
        <Presence snap={snap} selfId={selfId} />
        <SyncIndicator snap={snap} readOnly={!!doc && !canEdit} />
        {doc && !publicLink && (
          <button
            type="button"
            className={'icon-button' + (doc.favorite ? ' starred' : '')}
            aria-pressed={!!doc.favorite}
            aria-label="Favorite"
            title={doc.favorite ? 'Remove from favorites' : 'Add to favorites'}
            onClick={() => {
              const on = !doc.favorite
              api.setFavorite(doc.id, on).then(
                () => setDoc({ ...doc, favorite: on }),
                (e) => notice(messageOf(e)),
              )
            }}
          >
            <Icon name="star" />
          </button>
        )}
        {ctx &&
          integrations.documentPanels.map((p) => (
            <button key={p.id} type="button" className="button" aria-expanded={panel === p.id} onClick={() => setPanel(panel === p.id ? null : p.id)}>
              {p.label}
            </button>
          ))}
        {doc && !publicLink && role === 'owner' && (
          <button type="button" className="button primary" onClick={() => setDialog('share')}>
            <Icon name="share" size={16} /> Share
          </button>
        )}
        {items.length > 0 && <Menu label="Document actions" items={items} />}
      </div>
      {ctx && panel && (
        <aside className="side-panel" aria-label={integrations.documentPanels.find((p) => p.id === panel)?.label}>
          {integrations.documentPanels.find((p) => p.id === panel)?.render(ctx, () => setPanel(null))}
        </aside>
      )}
      {dialog === 'share' && doc && <ShareDialog kind="documents" id={doc.id} name={doc.title || 'Untitled'} onClose={() => setDialog(null)} />}
      {dialog === 'move' && doc && (
        <MoveDialog
          what={doc.title || 'Untitled'}
          from={doc.folder_id}
          onClose={() => setDialog(null)}
          onMove={async (folderId) => {
            const d = await api.updateDocument(doc.id, { folder_id: folderId })
            setDoc({ ...doc, ...d, role: d.role ?? doc.role, favorite: doc.favorite })
            notice('Moved')
          }}
        />
      )}
    </header>
  )
}
