// The share dialog: people with access and their roles, adding someone
// from the organization, and (for documents) read-only public links.

import { useEffect, useId, useState, type FormEvent } from 'react'
import { api, listAll, newKey, type DocRole, type Grant, type Member, type PublicLink } from '../api'
import { useMe } from '../session'
import { colorFor, CopyField, Dialog, ErrorText, formatDate, Avatar } from '../ui'

const roles: { value: DocRole; label: string }[] = [
  { value: 'viewer', label: 'Can view' },
  { value: 'commenter', label: 'Can comment' },
  { value: 'editor', label: 'Can edit' },
  { value: 'owner', label: 'Owner' },
]

export function ShareDialog({ kind, id, name, onClose }: { kind: 'documents' | 'folders'; id: string; name: string; onClose: () => void }) {
  const me = useMe()
  const [grants, setGrants] = useState<Grant[] | null>(null)
  const [members, setMembers] = useState<Member[]>([])
  const [error, setError] = useState<unknown>(null)
  const [person, setPerson] = useState('')
  const [role, setRole] = useState<DocRole>('editor')
  const personId = useId()
  const roleId = useId()

  useEffect(() => {
    api.grants(kind, id).then((p) => setGrants(p.items), setError)
    listAll((c) => api.members(c)).then(setMembers, () => setMembers([]))
  }, [kind, id])

  const candidates = members.filter((m) => m.user_id !== me.user.id && !grants?.some((g) => g.user_id === m.user_id))

  async function add(e: FormEvent) {
    e.preventDefault()
    if (!person) return
    try {
      const g = await api.share(kind, id, person, role)
      setGrants((gs) => [...(gs ?? []).filter((x) => x.user_id !== g.user_id), g])
      setPerson('')
      setError(null)
    } catch (err) {
      setError(err)
    }
  }

  return (
    <Dialog title={`Share “${name}”`} onClose={onClose} wide>
      <section aria-labelledby={personId + '-h'}>
        <h3 id={personId + '-h'}>People</h3>
        <form className="row share-add" onSubmit={add}>
          <label htmlFor={personId} className="visually-hidden">
            Person
          </label>
          <select id={personId} value={person} onChange={(e) => setPerson(e.target.value)}>
            <option value="">{candidates.length ? 'Choose a member or guest…' : 'Everyone in the organization is listed below'}</option>
            {candidates.map((m) => (
              <option key={m.user_id} value={m.user_id}>
                {m.name || m.email} ({m.email}){m.role === 'guest' ? ' · guest' : ''}
              </option>
            ))}
          </select>
          <label htmlFor={roleId} className="visually-hidden">
            Role
          </label>
          <select id={roleId} value={role} onChange={(e) => setRole(e.target.value as DocRole)}>
            {roles.map((r) => (
              <option key={r.value} value={r.value}>
                {r.label}
              </option>
            ))}
          </select>
          <button type="submit" className="button primary" disabled={!person}>
            Share
          </button>
        </form>
        <ErrorText error={error} />
        <ul className="people" aria-busy={grants === null}>
          {grants?.length === 0 && <li className="muted">Not shared with anyone yet. Members of the organization may still see it through the organization's default access.</li>}
          {grants?.map((g) => (
            <li key={g.user_id} className="person">
              <Avatar name={g.name || g.email} color={colorFor(g.user_id)} />
              <span className="person-name">
                {g.name || g.email}
                <span className="muted"> {g.email}</span>
              </span>
              <select
                aria-label={`Role of ${g.name || g.email}`}
                value={g.role}
                onChange={async (e) => {
                  try {
                    const ng = await api.share(kind, id, g.user_id, e.target.value as DocRole)
                    setGrants((gs) => gs!.map((x) => (x.user_id === ng.user_id ? ng : x)))
                  } catch (err) {
                    setError(err)
                  }
                }}
              >
                {roles.map((r) => (
                  <option key={r.value} value={r.value}>
                    {r.label}
                  </option>
                ))}
              </select>
              <button
                type="button"
                className="button"
                aria-label={`Remove ${g.name || g.email}`}
                onClick={async () => {
                  try {
                    await api.unshare(kind, id, g.user_id)
                    setGrants((gs) => gs!.filter((x) => x.user_id !== g.user_id))
                  } catch (err) {
                    setError(err)
                  }
                }}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      </section>
      {kind === 'documents' && <PublicLinks docId={id} />}
    </Dialog>
  )
}

function PublicLinks({ docId }: { docId: string }) {
  const [links, setLinks] = useState<PublicLink[] | null>(null)
  const [created, setCreated] = useState<string | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [expiry, setExpiry] = useState('')
  const expiryId = useId()
  useEffect(() => {
    api.links(docId).then((p) => setLinks(p.items), setError)
  }, [docId])
  const live = links?.filter((l) => !l.revoked_at && (!l.expires_at || new Date(l.expires_at) > new Date())) ?? []
  return (
    <section aria-labelledby={expiryId + '-h'}>
      <h3 id={expiryId + '-h'}>Public link</h3>
      <p className="muted">Anyone with a public link can read this document without signing in. They cannot change it.</p>
      {created && <CopyField label="New public link (shown once: copy it now)" value={created} />}
      <div className="row">
        <label htmlFor={expiryId}>Expires</label>
        <select id={expiryId} value={expiry} onChange={(e) => setExpiry(e.target.value)}>
          <option value="">Never</option>
          <option value="1">In a day</option>
          <option value="7">In a week</option>
          <option value="30">In 30 days</option>
        </select>
        <button
          type="button"
          className="button"
          onClick={async () => {
            try {
              const at = expiry ? new Date(Date.now() + Number(expiry) * 86400e3).toISOString() : undefined
              const l = await api.createLink(docId, newKey(), at)
              setCreated(`${location.origin}/p/${docId}#${l.token}`)
              setLinks((ls) => [l, ...(ls ?? [])])
              setError(null)
            } catch (e) {
              setError(e)
            }
          }}
        >
          Create public link
        </button>
      </div>
      <ErrorText error={error} />
      {live.length > 0 && (
        <ul className="people">
          {live.map((l) => (
            <li key={l.id} className="person">
              <code>{l.prefix}…</code>
              <span className="muted">
                created {formatDate(l.created_at)}
                {l.expires_at ? `, expires ${new Date(l.expires_at).toLocaleDateString()}` : ''}
              </span>
              <button
                type="button"
                className="button"
                aria-label={`Revoke link ${l.prefix}`}
                onClick={async () => {
                  try {
                    await api.revokeLink(docId, l.id)
                    setLinks((ls) => ls!.map((x) => (x.id === l.id ? { ...x, revoked_at: new Date().toISOString() } : x)))
                  } catch (e) {
                    setError(e)
                  }
                }}
              >
                Revoke
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
