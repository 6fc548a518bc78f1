// Lists of documents and folders: Home (the top level), a folder, Recent,
// Favorites and Trash, with create, rename, move, favorite, trash, restore
// and delete.

import { useCallback, useEffect, useState } from 'react'
import { api, newKey, type Doc, type Folder } from '../api'
import { Icon } from '../editor/icons'
import { Link, navigate } from '../router'
import { useMe } from '../session'
import { ErrorText, formatDate, Menu, messageOf, useNotice, useTitle, type MenuItem } from '../ui'
import { ConfirmDialog, MoveDialog, TextDialog } from './dialogs'
import { ShareDialog } from './ShareDialog'

export type View = { kind: 'home' } | { kind: 'folder'; id: string } | { kind: 'recent' } | { kind: 'favorites' } | { kind: 'trash' }

const roleRank: Record<string, number> = { viewer: 1, commenter: 2, editor: 3, owner: 4 }
// Lists do not carry the caller's role (only a single document or folder
// does): without it the actions are offered and the server decides, with
// a clear message when it refuses.
const canEdit = (r: string | null) => r === null || roleRank[r] >= 3

type DialogState =
  | { kind: 'newFolder' }
  | { kind: 'renameDoc'; doc: Doc }
  | { kind: 'moveDoc'; doc: Doc }
  | { kind: 'deleteDoc'; doc: Doc }
  | { kind: 'renameFolder'; folder: Folder }
  | { kind: 'moveFolder'; folder: Folder }
  | { kind: 'shareFolder'; folder: Folder }
  | { kind: 'deleteFolder'; folder: Folder }
  | null

export function DocumentList({ view, onFoldersChanged }: { view: View; onFoldersChanged: () => void }) {
  const me = useMe()
  const notice = useNotice()
  const [docs, setDocs] = useState<Doc[] | null>(null)
  const [cursor, setCursor] = useState<string | null>(null)
  const [folders, setFolders] = useState<Folder[]>([])
  const [folder, setFolder] = useState<Folder | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [dialog, setDialog] = useState<DialogState>(null)
  const [creating, setCreating] = useState(false)
  const folderId = view.kind === 'folder' ? view.id : undefined
  const viewKey = view.kind + (folderId ?? '')

  const title =
    view.kind === 'home'
      ? 'Home'
      : view.kind === 'recent'
        ? 'Recent'
        : view.kind === 'favorites'
          ? 'Favorites'
          : view.kind === 'trash'
            ? 'Trash'
            : (folder?.name ?? '')
  useTitle(title)

  const query = useCallback(
    (c?: string) => {
      switch (view.kind) {
        case 'home':
          return api.documents({ folder_id: 'root', sort: 'title', cursor: c })
        case 'folder':
          return api.documents({ folder_id: view.id, sort: 'title', cursor: c })
        case 'recent':
          return api.documents({ sort: 'updated', cursor: c, limit: 50 })
        case 'favorites':
          return api.documents({ favorites: true, sort: 'title', cursor: c })
        case 'trash':
          return api.documents({ trashed: true, sort: 'updated', cursor: c })
      }
    },
    // The view's identity is viewKey.
    [viewKey],
  )

  const load = useCallback(async () => {
    setError(null)
    try {
      const [page, fs, f] = await Promise.all([
        query(),
        view.kind === 'home' || view.kind === 'folder' ? api.folders(folderId) : Promise.resolve({ items: [], next_cursor: null }),
        folderId ? api.folder(folderId) : Promise.resolve(null),
      ])
      setDocs(page.items)
      setCursor(page.next_cursor)
      setFolders(fs.items)
      setFolder(f)
    } catch (e) {
      setError(e)
    }
  }, [viewKey])

  useEffect(() => {
    setDocs(null)
    setFolders([])
    load()
  }, [load])

  // Documents open faster when the editor's code is already here.
  useEffect(() => {
    const idle = window.requestIdleCallback ?? ((f: () => void) => setTimeout(f, 500))
    idle(() => void import('./DocumentPage'))
  }, [])

  async function newDocument() {
    setCreating(true)
    try {
      const d = await api.createDocument(folderId ? { folder_id: folderId } : {}, newKey())
      navigate(`/d/${d.id}`)
    } catch (e) {
      notice(messageOf(e))
      setCreating(false)
    }
  }

  function docItems(d: Doc): MenuItem[] {
    if (view.kind === 'trash') {
      const items: MenuItem[] = [
        {
          label: 'Restore',
          onSelect: () =>
            api.restoreDocument(d.id).then(
              () => {
                notice(`Restored “${d.title || 'Untitled'}”`)
                load()
              },
              (e) => notice(messageOf(e)),
            ),
        },
      ]
      if (d.role === 'owner' || (d.role === null && (me.role === 'owner' || me.role === 'admin' || d.created_by === me.user.id))) {
        items.push({ label: 'Delete forever…', danger: true, onSelect: () => setDialog({ kind: 'deleteDoc', doc: d }) })
      }
      return items
    }
    const items: MenuItem[] = [{ label: 'Open', onSelect: () => navigate(`/d/${d.id}`) }]
    if (canEdit(d.role)) {
      items.push({ label: 'Rename…', onSelect: () => setDialog({ kind: 'renameDoc', doc: d }) })
      items.push({ label: 'Move to…', onSelect: () => setDialog({ kind: 'moveDoc', doc: d }) })
    }
    items.push({
      label: 'Duplicate',
      onSelect: () =>
        api.duplicateDocument(d.id, newKey()).then(
          () => {
            notice('Copy created')
            load()
          },
          (e) => notice(messageOf(e)),
        ),
    })
    items.push({ label: d.favorite ? 'Remove from favorites' : 'Add to favorites', onSelect: () => toggleFavorite(d) })
    if (canEdit(d.role)) {
      items.push({
        label: 'Move to trash',
        danger: true,
        onSelect: () =>
          api.trashDocument(d.id).then(
            () => {
              load()
              notice(`Moved “${d.title || 'Untitled'}” to the trash`, {
                label: 'Undo',
                run: () => api.restoreDocument(d.id).then(load, (e) => notice(messageOf(e))),
              })
            },
            (e) => notice(messageOf(e)),
          ),
      })
    }
    return items
  }

  function folderItems(f: Folder): MenuItem[] {
    const items: MenuItem[] = [{ label: 'Open', onSelect: () => navigate(`/folders/${f.id}`) }]
    if (canEdit(f.role)) {
      items.push({ label: 'Rename…', onSelect: () => setDialog({ kind: 'renameFolder', folder: f }) })
      items.push({ label: 'Move to…', onSelect: () => setDialog({ kind: 'moveFolder', folder: f }) })
    }
    if (f.role === 'owner' || (f.role === null && (me.role === 'owner' || me.role === 'admin' || f.created_by === me.user.id))) {
      items.push({ label: 'Share…', onSelect: () => setDialog({ kind: 'shareFolder', folder: f }) })
    }
    if (canEdit(f.role)) items.push({ label: 'Delete…', danger: true, onSelect: () => setDialog({ kind: 'deleteFolder', folder: f }) })
    return items
  }

  function toggleFavorite(d: Doc) {
    const on = !d.favorite
    api.setFavorite(d.id, on).then(
      () => {
        if (view.kind === 'favorites' && !on) setDocs((ds) => ds?.filter((x) => x.id !== d.id) ?? null)
        else setDocs((ds) => ds?.map((x) => (x.id === d.id ? { ...x, favorite: on } : x)) ?? null)
      },
      (e) => notice(messageOf(e)),
    )
  }

  const canCreate = me.role !== 'guest' || (view.kind === 'folder' && !!folder && canEdit(folder.role))
  const showCreate = (view.kind === 'home' || view.kind === 'folder') && canCreate

  return (
    <div className="list-page">
      <header className="list-head">
        <div>
          {view.kind === 'folder' && (
            <nav className="crumbs" aria-label="Location">
              <Link to="/">Home</Link>
              {folder?.path.slice(0, -1).map((p) => (
                <span key={p.id}>
                  <span aria-hidden="true"> / </span>
                  <Link to={`/folders/${p.id}`}>{p.name}</Link>
                </span>
              ))}
            </nav>
          )}
          <h1>{title}</h1>
          {view.kind === 'trash' && <p className="muted">Documents in the trash are deleted for good after 30 days.</p>}
        </div>
        {showCreate && (
          <div className="row">
            <button type="button" className="button" onClick={() => setDialog({ kind: 'newFolder' })}>
              <Icon name="folder" size={16} /> New folder
            </button>
            <button type="button" className="button primary" onClick={newDocument} disabled={creating}>
              <Icon name="plus" size={16} /> New document
            </button>
          </div>
        )}
      </header>
      <ErrorText error={error} />
      {docs === null && !error ? (
        <p className="muted" aria-busy="true">
          Loading…
        </p>
      ) : (
        docs && (
          <>
            {folders.length === 0 && docs.length === 0 && <Empty view={view} />}
            {(folders.length > 0 || docs.length > 0) && (
              <ul className="doc-list" aria-label={title}>
                {folders.map((f) => (
                  <li key={f.id} className="doc-row">
                    <Link to={`/folders/${f.id}`} className="doc-link">
                      <Icon name="folder" />
                      <span className="doc-name">{f.name}</span>
                    </Link>
                    <span className="muted doc-date">{formatDate(f.updated_at)}</span>
                    <span className="doc-star" />
                    <Menu label={`Actions for folder ${f.name}`} items={folderItems(f)} />
                  </li>
                ))}
                {docs.map((d) => (
                  <li key={d.id} className="doc-row">
                    {view.kind === 'trash' ? (
                      <span className="doc-link">
                        <Icon name="doc" />
                        <span className="doc-name">{d.title || 'Untitled'}</span>
                      </span>
                    ) : (
                      <Link to={`/d/${d.id}`} className="doc-link">
                        <Icon name="doc" />
                        <span className="doc-name">{d.title || 'Untitled'}</span>
                      </Link>
                    )}
                    <span className="muted doc-date">
                      {view.kind === 'trash' ? `Trashed ${formatDate(d.trashed_at)}` : formatDate(d.updated_at)}
                    </span>
                    {view.kind !== 'trash' ? (
                      <button
                        type="button"
                        className={'icon-button doc-star' + (d.favorite ? ' starred' : '')}
                        aria-pressed={!!d.favorite}
                        aria-label={`Favorite ${d.title || 'Untitled'}`}
                        title={d.favorite ? 'Remove from favorites' : 'Add to favorites'}
                        onClick={() => toggleFavorite(d)}
                      >
                        <Icon name="star" />
                      </button>
                    ) : (
                      <span className="doc-star" />
                    )}
                    <Menu label={`Actions for ${d.title || 'Untitled'}`} items={docItems(d)} />
                  </li>
                ))}
              </ul>
            )}
            {cursor && (
              <button
                type="button"
                className="button load-more"
                onClick={async () => {
                  try {
                    const p = await query(cursor)
                    setDocs((ds) => [...(ds ?? []), ...p.items])
                    setCursor(p.next_cursor)
                  } catch (e) {
                    setError(e)
                  }
                }}
              >
                Load more
              </button>
            )}
          </>
        )
      )}
      {dialog?.kind === 'newFolder' && (
        <TextDialog
          title="New folder"
          label="Name"
          submit="Create folder"
          onClose={() => setDialog(null)}
          onSubmit={async (name) => {
            await api.createFolder(folderId ? { name, parent_id: folderId } : { name }, newKey())
            load()
            onFoldersChanged()
          }}
        />
      )}
      {dialog?.kind === 'renameDoc' && (
        <TextDialog
          title="Rename document"
          label="Title"
          initial={dialog.doc.title}
          submit="Rename"
          onClose={() => setDialog(null)}
          onSubmit={async (title) => {
            await api.updateDocument(dialog.doc.id, { title })
            load()
          }}
        />
      )}
      {dialog?.kind === 'moveDoc' && (
        <MoveDialog
          what={dialog.doc.title || 'Untitled'}
          from={dialog.doc.folder_id}
          onClose={() => setDialog(null)}
          onMove={async (to) => {
            await api.updateDocument(dialog.doc.id, { folder_id: to })
            notice('Moved')
            load()
          }}
        />
      )}
      {dialog?.kind === 'deleteDoc' && (
        <ConfirmDialog
          title="Delete for good?"
          message={`“${dialog.doc.title || 'Untitled'}” and its whole history will be deleted. This cannot be undone.`}
          confirm="Delete forever"
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            await api.deleteDocument(dialog.doc.id)
            load()
          }}
        />
      )}
      {dialog?.kind === 'renameFolder' && (
        <TextDialog
          title="Rename folder"
          label="Name"
          initial={dialog.folder.name}
          submit="Rename"
          onClose={() => setDialog(null)}
          onSubmit={async (name) => {
            await api.updateFolder(dialog.folder.id, { name })
            load()
            onFoldersChanged()
          }}
        />
      )}
      {dialog?.kind === 'moveFolder' && (
        <MoveDialog
          what={dialog.folder.name}
          from={dialog.folder.parent_id}
          exclude={dialog.folder.id}
          onClose={() => setDialog(null)}
          onMove={async (to) => {
            await api.updateFolder(dialog.folder.id, { parent_id: to })
            notice('Moved')
            load()
            onFoldersChanged()
          }}
        />
      )}
      {dialog?.kind === 'shareFolder' && (
        <ShareDialog kind="folders" id={dialog.folder.id} name={dialog.folder.name} onClose={() => setDialog(null)} />
      )}
      {dialog?.kind === 'deleteFolder' && (
        <ConfirmDialog
          title="Delete folder?"
          message={`“${dialog.folder.name}” will be deleted. Only empty folders can be deleted: move or trash what is in it first.`}
          confirm="Delete folder"
          onClose={() => setDialog(null)}
          onConfirm={async () => {
            await api.deleteFolder(dialog.folder.id)
            if (view.kind === 'folder' && view.id === dialog.folder.id) navigate('/')
            load()
            onFoldersChanged()
          }}
        />
      )}
    </div>
  )
}

function Empty({ view }: { view: View }) {
  const text = {
    home: 'No documents yet. Create your first one with “New document”.',
    folder: 'This folder is empty.',
    recent: 'Documents you and your colleagues change appear here.',
    favorites: 'Star a document to find it here.',
    trash: 'The trash is empty.',
  }[view.kind]
  return <p className="empty">{text}</p>
}
