// A document's connection to Tandem: a Yjs document, kept in IndexedDB for
// offline editing and synced with the realtime service over the Hocuspocus
// dialect. The sync state shown to people comes from the server's durable
// acknowledgements: Tandem answers each update with SyncStatus only after
// storing it, and the provider counts the updates still unanswered.

import { HocuspocusProvider, HocuspocusProviderWebsocket, WebSocketStatus } from '@hocuspocus/provider'
import { IndexeddbPersistence } from 'y-indexeddb'
import * as Y from 'yjs'
import { localDatabaseName } from './local'

/** What the sync indicator says. */
export type SyncState =
  | 'connecting' // first connection not made yet
  | 'saving' // edits sent, not all acknowledged as stored
  | 'saved' // everything stored on the server
  | 'offline' // no connection; edits stay on this device
  | 'readonly' // connected, may not edit
  | 'denied' // the server refused the document

export interface Presence {
  clientId: number
  userId: string
  name: string
  color: string
  self: boolean
}

export interface SyncSnapshot {
  state: SyncState
  /** Edits not yet acknowledged by the server (kept locally meanwhile). */
  unsynced: boolean
  /** The server's first sync is done (or the local copy is loaded). */
  loaded: boolean
  readOnly: boolean
  presence: Presence[]
  deniedReason: string
}

export interface SyncOptions {
  documentId: string
  /** The signed-in user, or null for a public link. */
  user: { id: string; name: string; color: string } | null
  /** A public link's token; signed-in users are known by their cookie. */
  token?: string
}

/** DocumentSync owns the Yjs document, its local copy and its connection. */
export class DocumentSync {
  readonly doc = new Y.Doc()
  readonly provider: HocuspocusProvider
  private readonly socket: HocuspocusProviderWebsocket
  private local: IndexeddbPersistence | null = null
  private listeners = new Set<() => void>()
  private snap: SyncSnapshot
  private everConnected = false
  private denied = ''
  private localLoaded = false
  /** A connection attempt has failed or a connection has closed. */
  private failedOnce = false
  private onlineHandler = () => void this.socket.connect()

  constructor(readonly opts: SyncOptions) {
    this.snap = { state: 'connecting', unsynced: false, loaded: false, readOnly: false, presence: [], deniedReason: '' }
    if (opts.user) {
      // Offline edits survive a closed tab; they reach the server when the
      // document is next opened with a connection.
      this.local = new IndexeddbPersistence(localDatabaseName(opts.user.id, opts.documentId), this.doc)
      this.local.on('synced', () => {
        this.localLoaded = true
        this.update()
      })
    }
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:'
    this.socket = new HocuspocusProviderWebsocket({
      url: `${proto}//${location.host}/collab`,
      // Reconnect quickly after a server restart, with jitter so that many
      // clients do not return at the same instant.
      delay: 500,
      minDelay: 500,
      factor: 1.5,
      maxDelay: 5000,
      jitter: true,
    })
    this.provider = new HocuspocusProvider({
      websocketProvider: this.socket,
      name: opts.documentId,
      document: this.doc,
      // The session cookie goes with the WebSocket handshake; a public link
      // presents its token.
      token: opts.token ?? '',
      onStatus: () => this.update(),
      onSynced: () => this.update(),
      onUnsyncedChanges: () => this.update(),
      onAuthenticated: () => this.update(),
      onAuthenticationFailed: ({ reason }) => {
        this.denied = reason || 'You do not have access to this document.'
        this.update()
      },
      onAwarenessChange: () => this.update(),
      onClose: () => {
        this.failedOnce = true
        this.update()
      },
      onDisconnect: () => {
        this.failedOnce = true
        this.update()
      },
    })
    if (opts.user) {
      this.provider.setAwarenessField('user', { id: opts.user.id, name: opts.user.name, color: opts.user.color })
    } else {
      this.provider.setAwarenessField('user', { id: '', name: 'Guest (public link)', color: '#57606a' })
    }
    this.provider.attach()
    window.addEventListener('online', this.onlineHandler)
  }

  get snapshot(): SyncSnapshot {
    return this.snap
  }

  subscribe(l: () => void): () => void {
    this.listeners.add(l)
    return () => this.listeners.delete(l)
  }

  private update() {
    const p = this.provider
    const ws = this.socket
    const connected = ws.status === WebSocketStatus.Connected && p.isSynced
    if (connected) this.everConnected = true
    const readOnly = p.authorizedScope === 'readonly'
    const unsynced = p.hasUnsyncedChanges && !readOnly
    let state: SyncState
    if (this.denied) state = 'denied'
    else if (!connected) state = this.everConnected || this.failedOnce ? 'offline' : 'connecting'
    else if (readOnly) state = 'readonly'
    else if (unsynced) state = 'saving'
    else state = 'saved'
    const presence: Presence[] = []
    p.awareness?.getStates().forEach((s, clientId) => {
      const u = s.user as { id?: string; name?: string; color?: string } | undefined
      if (!u?.name) return
      presence.push({
        clientId,
        userId: u.id ?? '',
        name: String(u.name),
        color: typeof u.color === 'string' && /^#[0-9a-f]{6}$/i.test(u.color) ? u.color : '#57606a',
        self: clientId === this.doc.clientID,
      })
    })
    const next: SyncSnapshot = {
      state,
      unsynced: p.hasUnsyncedChanges && !readOnly,
      loaded: p.isSynced || this.localLoaded || this.everConnected,
      readOnly,
      presence,
      deniedReason: this.denied,
    }
    if (!sameSnapshot(this.snap, next)) {
      this.snap = next
      for (const l of this.listeners) l()
    }
  }

  destroy() {
    window.removeEventListener('online', this.onlineHandler)
    this.provider.destroy()
    this.socket.destroy()
    this.local?.destroy()
    this.doc.destroy()
    this.listeners.clear()
  }
}

function sameSnapshot(a: SyncSnapshot, b: SyncSnapshot): boolean {
  if (
    a.state !== b.state ||
    a.unsynced !== b.unsynced ||
    a.loaded !== b.loaded ||
    a.readOnly !== b.readOnly ||
    a.deniedReason !== b.deniedReason ||
    a.presence.length !== b.presence.length
  )
    return false
  return a.presence.every((p, i) => {
    const q = b.presence[i]
    return p.clientId === q.clientId && p.name === q.name && p.color === q.color
  })
}

