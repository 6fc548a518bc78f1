// The REST API client: JSON over fetch, the session cookie sent by the
// browser, and the CSRF token (returned at sign-in and by GET /me) in the
// X-CSRF-Token header of every write. Errors arrive as RFC 9457
// problem+json and become ApiError with the server's detail text.

export interface User {
  id: string
  email: string
  name: string
  totp_enabled: boolean
  created_at: string
}

export interface Organization {
  id: string
  name: string
  default_access: DocRole | ''
  created_at: string
}

export type OrgRole = 'owner' | 'admin' | 'member' | 'guest'
export type DocRole = 'owner' | 'editor' | 'commenter' | 'viewer'

export interface Membership {
  organization: Organization
  role: OrgRole
}

export interface Me {
  user: User
  organization_id: string | null
  role: OrgRole | null
  organizations: Membership[]
  csrf_token: string | null
}

export interface Session {
  user: User
  organization_id: string | null
  csrf_token: string
  expires_at: string
}

export interface LoginResult {
  mfa_required: boolean
  mfa_token: string | null
  session: Session | null
}

export interface Doc {
  id: string
  organization_id: string
  folder_id: string | null
  title: string
  created_by: string
  created_at: string
  updated_at: string
  trashed_at: string | null
  role: DocRole | null
  favorite: boolean | null
}

export interface Folder {
  id: string
  parent_id: string | null
  name: string
  created_by: string
  created_at: string
  updated_at: string
  role: DocRole | null
  path: { id: string; name: string }[]
}

export interface Page<T> {
  items: T[]
  next_cursor: string | null
}

export interface Member {
  user_id: string
  email: string
  name: string
  role: OrgRole
  joined_at: string
}

export interface Invitation {
  id: string
  email: string
  role: OrgRole
  invited_by: string
  created_at: string
  expires_at: string
  token: string | null
}

export interface InvitationInfo {
  organization_name: string
  email: string
  role: OrgRole
  has_account: boolean
}

export interface ApiToken {
  id: string
  name: string
  prefix: string
  scope: 'read' | 'read-write'
  created_at: string
  expires_at: string | null
  last_used_at: string | null
  token: string | null
}

export interface Grant {
  resource_type: 'document' | 'folder'
  resource_id: string
  user_id: string
  email: string
  name: string
  role: DocRole
  created_by: string
  created_at: string
}

export interface PublicLink {
  id: string
  document_id: string
  prefix: string
  created_by: string
  created_at: string
  expires_at: string | null
  revoked_at: string | null
  token: string | null
}

export interface FieldError {
  field: string
  message: string
}

/** ApiError is a failed API call: the HTTP status, the server's stable code
 * and its human-readable detail. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: FieldError[] = [],
    readonly requestId = '',
  ) {
    super(message)
    this.name = 'ApiError'
  }

  /** The message for one field of a form, if the server named it. */
  field(name: string): string | undefined {
    return this.fields.find((f) => f.field === name)?.message
  }
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

interface CallOptions {
  body?: unknown
  /** A bearer token (a public link's) instead of the session cookie. */
  bearer?: string
  /** Sent as Idempotency-Key, so that a retried create happens once. */
  idempotencyKey?: string
  signal?: AbortSignal
}

let csrfToken = ''
let onUnauthorized: (() => void) | null = null

/** setCsrfToken records the token that cookie-authenticated writes need. */
export function setCsrfToken(token: string | null | undefined) {
  csrfToken = token ?? ''
}

/** setUnauthorizedHandler is called when a signed-in call answers 401 (the
 * session ended elsewhere, say). */
export function setUnauthorizedHandler(f: (() => void) | null) {
  onUnauthorized = f
}

export async function call<T>(method: Method, path: string, opts: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' }
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json'
  if (opts.bearer) headers.Authorization = `Bearer ${opts.bearer}`
  else if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken
  if (opts.idempotencyKey) headers['Idempotency-Key'] = opts.idempotencyKey
  let res: Response
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      credentials: opts.bearer ? 'omit' : 'same-origin',
      signal: opts.signal,
      cache: 'no-store',
    })
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e
    throw new ApiError(0, 'network', 'Tandem cannot be reached. Check your connection and try again.')
  }
  if (res.status === 204) return undefined as T
  const text = await res.text()
  let data: any = null
  if (text) {
    try {
      data = JSON.parse(text)
    } catch {
      data = null
    }
  }
  if (!res.ok) {
    const err = new ApiError(
      res.status,
      data?.code ?? 'http_' + res.status,
      data?.detail || data?.title || `The server answered ${res.status}.`,
      data?.errors ?? [],
      data?.request_id ?? '',
    )
    if (res.status === 401 && !opts.bearer && !path.startsWith('/auth/') && onUnauthorized) onUnauthorized()
    throw err
  }
  return data as T
}

/** newKey returns a fresh Idempotency-Key for one user action. */
export function newKey(): string {
  return crypto.randomUUID()
}

function qs(params: Record<string, string | number | boolean | undefined | null>): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v))
  }
  const s = q.toString()
  return s ? `?${s}` : ''
}

const enc = encodeURIComponent

// Accounts and sessions.
export const api = {
  signUp: (b: { email: string; password: string; name: string; organization_name: string }) =>
    call<Session>('POST', '/auth/signup', { body: b }),
  login: (b: { email: string; password: string }) => call<LoginResult>('POST', '/auth/login', { body: b }),
  loginMFA: (b: { mfa_token: string; code: string }) => call<Session>('POST', '/auth/login/mfa', { body: b }),
  logout: () => call<void>('POST', '/auth/logout'),
  me: () => call<Me>('GET', '/me'),
  updateMe: (name: string) => call<Me>('PATCH', '/me', { body: { name } }),
  changePassword: (current_password: string, new_password: string) =>
    call<void>('POST', '/me/password', { body: { current_password, new_password } }),
  switchOrganization: (organization_id: string) => call<Me>('POST', '/me/organization', { body: { organization_id } }),
  beginTOTP: () => call<{ secret: string; otpauth_url: string }>('POST', '/me/totp'),
  enableTOTP: (code: string) => call<{ recovery_codes: string[] }>('POST', '/me/totp/enable', { body: { code } }),
  disableTOTP: (password: string, code: string) => call<void>('POST', '/me/totp/disable', { body: { password, code } }),
  regenerateRecoveryCodes: (password: string) =>
    call<{ recovery_codes: string[] }>('POST', '/me/totp/recovery-codes', { body: { password } }),
  listTokens: () => call<Page<ApiToken>>('GET', '/tokens'),
  createToken: (b: { name: string; scope: string; expires_at?: string }, key: string) =>
    call<ApiToken>('POST', '/tokens', { body: b, idempotencyKey: key }),
  deleteToken: (id: string) => call<void>('DELETE', `/tokens/${enc(id)}`),

  // Organizations.
  createOrganization: (name: string, key: string) =>
    call<Organization>('POST', '/organizations', { body: { name }, idempotencyKey: key }),
  organization: () => call<Organization>('GET', '/organization'),
  updateOrganization: (b: { name?: string; default_access?: string }) => call<Organization>('PATCH', '/organization', { body: b }),
  members: (cursor?: string) => call<Page<Member>>('GET', `/members${qs({ cursor, limit: 200 })}`),
  setRole: (userId: string, role: string) => call<Member>('PATCH', `/members/${enc(userId)}`, { body: { role } }),
  removeMember: (userId: string) => call<void>('DELETE', `/members/${enc(userId)}`),
  invitations: () => call<Page<Invitation>>('GET', '/invitations'),
  invite: (email: string, role: string, key: string) =>
    call<Invitation>('POST', '/invitations', { body: { email, role }, idempotencyKey: key }),
  revokeInvitation: (id: string) => call<void>('DELETE', `/invitations/${enc(id)}`),
  lookupInvitation: (token: string) => call<InvitationInfo>('POST', '/invitations/lookup', { body: { token } }),
  acceptInvitation: (b: { token: string; name: string; password: string }) =>
    call<Session>('POST', '/invitations/accept', { body: b }),
  joinInvitation: (token: string) => call<Membership>('POST', '/invitations/join', { body: { token } }),

  // Documents.
  documents: (p: {
    folder_id?: string
    sort?: 'updated' | 'title'
    trashed?: boolean
    favorites?: boolean
    cursor?: string
    limit?: number
  }) => call<Page<Doc>>('GET', `/documents${qs(p)}`),
  createDocument: (b: { title?: string; folder_id?: string }, key: string) =>
    call<Doc>('POST', '/documents', { body: b, idempotencyKey: key }),
  document: (id: string, bearer?: string) => call<Doc>('GET', `/documents/${enc(id)}`, { bearer }),
  updateDocument: (id: string, b: { title?: string; folder_id?: string | null }) =>
    call<Doc>('PATCH', `/documents/${enc(id)}`, { body: b }),
  deleteDocument: (id: string) => call<void>('DELETE', `/documents/${enc(id)}`),
  duplicateDocument: (id: string, key: string) =>
    call<Doc>('POST', `/documents/${enc(id)}/duplicate`, { idempotencyKey: key }),
  trashDocument: (id: string) => call<void>('POST', `/documents/${enc(id)}/trash`),
  restoreDocument: (id: string) => call<Doc>('POST', `/documents/${enc(id)}/restore`),
  setFavorite: (id: string, on: boolean) => call<void>(on ? 'PUT' : 'DELETE', `/documents/${enc(id)}/favorite`),

  // Folders.
  folders: (parent_id?: string) => call<Page<Folder>>('GET', `/folders${qs({ parent_id })}`),
  folder: (id: string) => call<Folder>('GET', `/folders/${enc(id)}`),
  createFolder: (b: { name: string; parent_id?: string }, key: string) =>
    call<Folder>('POST', '/folders', { body: b, idempotencyKey: key }),
  updateFolder: (id: string, b: { name?: string; parent_id?: string | null }) =>
    call<Folder>('PATCH', `/folders/${enc(id)}`, { body: b }),
  deleteFolder: (id: string) => call<void>('DELETE', `/folders/${enc(id)}`),

  // Sharing.
  grants: (kind: 'documents' | 'folders', id: string) => call<Page<Grant>>('GET', `/${kind}/${enc(id)}/grants`),
  share: (kind: 'documents' | 'folders', id: string, userId: string, role: DocRole) =>
    call<Grant>('PUT', `/${kind}/${enc(id)}/grants/${enc(userId)}`, { body: { role } }),
  unshare: (kind: 'documents' | 'folders', id: string, userId: string) =>
    call<void>('DELETE', `/${kind}/${enc(id)}/grants/${enc(userId)}`),
  links: (docId: string) => call<Page<PublicLink>>('GET', `/documents/${enc(docId)}/links`),
  createLink: (docId: string, key: string, expires_at?: string) =>
    call<PublicLink>('POST', `/documents/${enc(docId)}/links`, {
      body: expires_at ? { expires_at } : undefined,
      idempotencyKey: key,
    }),
  revokeLink: (docId: string, linkId: string) => call<void>('DELETE', `/documents/${enc(docId)}/links/${enc(linkId)}`),
}

/** listAll follows next_cursor until the list ends (bounded, for menus
 * such as the folder picker). */
export async function listAll<T>(page: (cursor?: string) => Promise<Page<T>>, max = 1000): Promise<T[]> {
  const out: T[] = []
  let cursor: string | undefined
  do {
    const p = await page(cursor)
    out.push(...p.items)
    cursor = p.next_cursor ?? undefined
  } while (cursor && out.length < max)
  return out
}
