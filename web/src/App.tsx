// The app: routes, the signed-in layout with its sidebar (organization
// switcher, places, folders, settings, sign out), and the pages that need
// no sign-in.

import { Component, lazy, Suspense, useCallback, useEffect, useState, type ReactNode } from 'react'
import { api, newKey, type Folder } from './api'
import { Icon, type IconName } from './editor/icons'
import { integrations, type SearchResult } from './integrations'
import { InvitePage, LoginPage, SignupPage } from './pages/Auth'
import { TextDialog } from './pages/dialogs'
import { DocumentList } from './pages/Home'
import { SettingsPage, type SettingsTab } from './pages/Settings'
import { Link, match, navigate, useLocation } from './router'
import { currentOrganization, useMe, useSession } from './session'
import { Avatar, colorFor, Menu, messageOf, useNotice } from './ui'

// The editor (Tiptap, ProseMirror, Yjs) is most of the code: it loads when
// a document opens, or earlier when the browser is idle.
const DocumentPage = lazy(() => import('./pages/DocumentPage'))
const PublicDocumentPage = lazy(() => import('./pages/DocumentPage').then((m) => ({ default: m.PublicDocumentPage })))

export function App() {
  const { me } = useSession()
  const { path, hash } = useLocation()

  // Pages open to everyone.
  const pub = match('/p/:id', path)
  if (pub) {
    return (
      <Recover>
        <Suspense fallback={<Splash />}>
          <PublicDocumentPage id={pub.id} token={hash.slice(1)} />
        </Suspense>
      </Recover>
    )
  }
  if (me === undefined) return <Splash />
  if (path === '/invite') return <InvitePage />
  if (!me) {
    if (path === '/signup') return <SignupPage />
    if (path !== '/login') {
      const next = path === '/' ? '' : '?next=' + encodeURIComponent(path + location.search + hash)
      return <Redirect to={'/login' + next} />
    }
    return <LoginPage />
  }
  if (path === '/login' || path === '/signup') return <Redirect to="/" />
  if (!me.organization_id) return <NoOrganization />
  return <Shell path={path} />
}

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to])
  return null
}

function Splash() {
  return (
    <div className="splash" aria-busy="true">
      <span className="brand">Tandem</span>
    </div>
  )
}

const settingsTabs = ['account', 'security', 'tokens', 'members', 'organization']

function route(path: string): { page: ReactNode; place: string } {
  let m: Record<string, string> | null
  if ((m = match('/d/:id', path))) return { page: <DocumentPage id={m.id} />, place: 'doc' }
  if ((m = match('/settings/:tab', path)) && settingsTabs.includes(m.tab)) {
    return { page: <SettingsPage tab={m.tab as SettingsTab} />, place: 'settings/' + m.tab }
  }
  if (path === '/settings') return { page: <Redirect to="/settings/account" />, place: 'settings/' }
  return { page: null, place: '' }
}

function Shell({ path }: { path: string }) {
  const me = useMe()
  const { signOut, refresh } = useSession()
  const notice = useNotice()
  const [folders, setFolders] = useState<Folder[]>([])
  const [navOpen, setNavOpen] = useState(false)
  const [newOrg, setNewOrg] = useState(false)
  const loadFolders = useCallback(() => {
    api.folders().then(
      (p) => setFolders(p.items),
      () => setFolders([]),
    )
  }, [])
  useEffect(loadFolders, [loadFolders, me.organization_id])
  useEffect(() => setNavOpen(false), [path])

  let page: ReactNode
  let m: Record<string, string> | null
  let place = path
  if (path === '/' || path === '') page = <DocumentList key="home" view={{ kind: 'home' }} onFoldersChanged={loadFolders} />
  else if (path === '/recent') page = <DocumentList key="recent" view={{ kind: 'recent' }} onFoldersChanged={loadFolders} />
  else if (path === '/favorites') page = <DocumentList key="favorites" view={{ kind: 'favorites' }} onFoldersChanged={loadFolders} />
  else if (path === '/trash') page = <DocumentList key="trash" view={{ kind: 'trash' }} onFoldersChanged={loadFolders} />
  else if ((m = match('/folders/:id', path))) page = <DocumentList key={'f' + m.id} view={{ kind: 'folder', id: m.id }} onFoldersChanged={loadFolders} />
  else {
    const r = route(path)
    page = r.page
    place = r.place
  }
  if (!page) {
    page = (
      <div className="page-message">
        <h1>Page not found</h1>
        <Link to="/">Go to your documents</Link>
      </div>
    )
  }

  const org = currentOrganization(me)
  const orgItems = me.organizations
    .filter((o) => o.organization.id !== me.organization_id)
    .map((o) => ({
      label: `Switch to ${o.organization.name}`,
      onSelect: async () => {
        try {
          await api.switchOrganization(o.organization.id)
          await refresh()
          navigate('/')
        } catch (e) {
          notice(messageOf(e))
        }
      },
    }))
  orgItems.push({ label: 'New organization…', onSelect: async () => setNewOrg(true) })

  const nav: { to: string; label: string; icon: IconName }[] = [
    { to: '/', label: 'Home', icon: 'home' },
    { to: '/recent', label: 'Recent', icon: 'clock' },
    { to: '/favorites', label: 'Favorites', icon: 'star' },
    { to: '/trash', label: 'Trash', icon: 'trash' },
  ]

  return (
    <div className={'shell' + (navOpen ? ' nav-open' : '')}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <button type="button" className="icon-button" aria-label="Menu" aria-expanded={navOpen} aria-controls="sidebar" onClick={() => setNavOpen((o) => !o)}>
          <Icon name="menu" />
        </button>
        <span className="brand">Tandem</span>
      </header>
      <nav id="sidebar" className="sidebar" aria-label="Main">
        <div className="org-switcher">
          <span className="org-badge" aria-hidden="true">
            {(org?.organization.name ?? '?').slice(0, 1).toUpperCase()}
          </span>
          <span className="org-name" title={org?.organization.name}>
            {org?.organization.name}
          </span>
          <Menu label="Switch organization" items={orgItems} icon={<span aria-hidden="true">⌄</span>} />
        </div>
        {integrations.search && <SearchBox />}
        <ul className="nav-list">
          {nav.map((n) => (
            <li key={n.to}>
              <Link to={n.to} className="nav-item" aria-current={place === n.to ? 'page' : undefined}>
                <Icon name={n.icon} /> {n.label}
              </Link>
            </li>
          ))}
        </ul>
        {folders.length > 0 && (
          <>
            <h2 className="nav-heading">Folders</h2>
            <ul className="nav-list">
              {folders.map((f) => (
                <li key={f.id}>
                  <Link to={`/folders/${f.id}`} className="nav-item" aria-current={path === `/folders/${f.id}` ? 'page' : undefined}>
                    <Icon name="folder" /> <span className="ellipsis">{f.name}</span>
                  </Link>
                </li>
              ))}
            </ul>
          </>
        )}
        <div className="sidebar-end">
          <Link to="/settings/account" className="nav-item" aria-current={place.startsWith('settings/') ? 'page' : undefined}>
            <Icon name="settings" /> Settings
          </Link>
          <div className="me">
            <Avatar name={me.user.name || me.user.email} color={colorFor(me.user.id)} />
            <span className="me-name ellipsis" title={me.user.email}>
              {me.user.name || me.user.email}
            </span>
            <button type="button" className="button small" onClick={signOut}>
              Sign out
            </button>
          </div>
        </div>
      </nav>
      <div className="scrim" onClick={() => setNavOpen(false)} aria-hidden="true" />
      <main id="main" className="main" tabIndex={-1}>
        {/* Keyed by organization too: switching organizations reloads the page. */}
        <Recover key={path + '|' + me.organization_id}>
          <Suspense fallback={<p className="muted page-pad">Opening…</p>}>{page}</Suspense>
        </Recover>
      </main>
      {newOrg && (
        <TextDialog
          title="New organization"
          label="Name"
          submit="Create organization"
          onClose={() => setNewOrg(false)}
          onSubmit={async (name) => {
            const o = await api.createOrganization(name, newKey())
            await api.switchOrganization(o.id)
            await refresh()
            navigate('/')
          }}
        />
      )}
    </div>
  )
}

/** SearchBox appears once a search service registers (integrations.ts). */
function SearchBox() {
  const [q, setQ] = useState('')
  const [results, setResults] = useState<SearchResult[] | null>(null)
  useEffect(() => {
    if (!q.trim() || !integrations.search) {
      setResults(null)
      return
    }
    const ac = new AbortController()
    const t = setTimeout(() => {
      integrations.search!.search(q, ac.signal).then(setResults, () => {})
    }, 200)
    return () => {
      clearTimeout(t)
      ac.abort()
    }
  }, [q])
  return (
    <div className="search" role="search">
      <input type="search" aria-label="Search documents" placeholder="Search" value={q} onChange={(e) => setQ(e.target.value)} />
      {results && (
        <ul className="search-results" aria-label="Search results">
          {results.length === 0 && <li className="muted">Nothing found</li>}
          {results.map((r) => (
            <li key={r.documentId}>
              <Link to={`/d/${r.documentId}`} onClick={() => setQ('')}>
                <strong>{r.title || 'Untitled'}</strong>
                <span className="muted">{r.snippet}</span>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}

function NoOrganization() {
  const { refresh, signOut } = useSession()
  const [open, setOpen] = useState(false)
  return (
    <main className="auth">
      <div className="auth-card">
        <div className="brand auth-brand">Tandem</div>
        <h1>You are not in an organization</h1>
        <p>Create one, or ask an admin of your team for an invitation link.</p>
        <button type="button" className="button primary wide" onClick={() => setOpen(true)}>
          Create an organization
        </button>
        <button type="button" className="link-button" onClick={signOut}>
          Sign out
        </button>
      </div>
      {open && (
        <TextDialog
          title="New organization"
          label="Name"
          submit="Create organization"
          onClose={() => setOpen(false)}
          onSubmit={async (name) => {
            const o = await api.createOrganization(name, newKey())
            await api.switchOrganization(o.id)
            await refresh()
          }}
        />
      )}
    </main>
  )
}

/** Recover shows a way out when a page fails to render: most often the
 * editor's code cannot load because Tandem was upgraded meanwhile (the old
 * build's files are gone), which a reload fixes. */
class Recover extends Component<{ children: ReactNode }, { error: Error | null }> {
  state = { error: null as Error | null }

  static getDerivedStateFromError(error: Error) {
    return { error }
  }

  render() {
    if (!this.state.error) return this.props.children
    return (
      <div className="page-message" role="alert">
        <h1>Something went wrong</h1>
        <p>This page could not be shown. Tandem may have been updated since you opened it; reloading usually fixes it.</p>
        <p className="muted">{this.state.error.message}</p>
        <button type="button" className="button primary" onClick={() => location.reload()}>
          Reload
        </button>
      </div>
    )
  }
}
