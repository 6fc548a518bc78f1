// Settings: the account (name, password), security (two-factor
// authentication), API tokens, and for the organization its members,
// invitations and defaults.

import { useEffect, useId, useState, type FormEvent, type ReactNode } from 'react'
import { encode } from 'uqr'
import { api, ApiError, listAll, newKey, type ApiToken, type Invitation, type Member, type OrgRole } from '../api'
import { Link } from '../router'
import { currentOrganization, isAdmin, useMe, useSession } from '../session'
import { Avatar, colorFor, CopyField, ErrorText, Field, formatDate, useNotice, useTitle } from '../ui'
import { ConfirmDialog } from './dialogs'

export type SettingsTab = 'account' | 'security' | 'tokens' | 'members' | 'organization'

export function SettingsPage({ tab }: { tab: SettingsTab }) {
  const me = useMe()
  const admin = isAdmin(me)
  const tabs: { id: SettingsTab; label: string }[] = [
    { id: 'account', label: 'Account' },
    { id: 'security', label: 'Security' },
    { id: 'tokens', label: 'API tokens' },
  ]
  if (me.role && me.role !== 'guest') tabs.push({ id: 'members', label: 'Members' })
  if (admin) tabs.push({ id: 'organization', label: 'Organization' })
  return (
    <div className="settings">
      <h1>Settings</h1>
      <nav className="tabs" aria-label="Settings">
        {tabs.map((t) => (
          <Link key={t.id} to={`/settings/${t.id}`} aria-current={t.id === tab ? 'page' : undefined} className={t.id === tab ? 'tab current' : 'tab'}>
            {t.label}
          </Link>
        ))}
      </nav>
      {tab === 'account' && <Account />}
      {tab === 'security' && <Security />}
      {tab === 'tokens' && <Tokens />}
      {tab === 'members' && <Members />}
      {tab === 'organization' && admin && <OrganizationSettings />}
    </div>
  )
}

function Section({ title, children, description }: { title: string; children: ReactNode; description?: ReactNode }) {
  const id = useId()
  return (
    <section className="card" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {description && <p className="muted">{description}</p>}
      {children}
    </section>
  )
}

function Account() {
  const me = useMe()
  const { refresh } = useSession()
  const notice = useNotice()
  useTitle('Account')
  const [name, setName] = useState(me.user.name)
  const [error, setError] = useState<unknown>(null)
  const [pw, setPw] = useState({ current: '', next: '' })
  const [pwError, setPwError] = useState<unknown>(null)
  return (
    <>
      <Section title="Profile">
        <form
          onSubmit={async (e) => {
            e.preventDefault()
            try {
              await api.updateMe(name)
              await refresh()
              setError(null)
              notice('Name saved')
            } catch (err) {
              setError(err)
            }
          }}
        >
          <Field label="Email" value={me.user.email} readOnly />
          <Field label="Name" value={name} required maxLength={200} onChange={(e) => setName(e.target.value)} autoComplete="name" />
          <ErrorText error={error} />
          <button type="submit" className="button primary">
            Save
          </button>
        </form>
      </Section>
      <Section title="Password" description="Changing your password signs you out everywhere else.">
        <form
          onSubmit={async (e) => {
            e.preventDefault()
            try {
              await api.changePassword(pw.current, pw.next)
              setPw({ current: '', next: '' })
              setPwError(null)
              notice('Password changed; other sessions have ended')
            } catch (err) {
              setPwError(err)
            }
          }}
        >
          <Field label="Current password" type="password" autoComplete="current-password" required value={pw.current} onChange={(e) => setPw({ ...pw, current: e.target.value })} />
          <Field
            label="New password"
            type="password"
            autoComplete="new-password"
            required
            minLength={10}
            hint="At least 10 characters."
            value={pw.next}
            onChange={(e) => setPw({ ...pw, next: e.target.value })}
          />
          <ErrorText error={pwError} />
          <button type="submit" className="button primary">
            Change password
          </button>
        </form>
      </Section>
    </>
  )
}

/** QRCode draws an otpauth URL as SVG squares (no image fetched, nothing
 * for the CSP to allow). */
function QRCode({ text, label }: { text: string; label: string }) {
  const qr = encode(text, { ecc: 'M', border: 2 })
  const cells: ReactNode[] = []
  qr.data.forEach((row, y) =>
    row.forEach((on, x) => {
      if (on) cells.push(<rect key={`${x},${y}`} x={x} y={y} width={1.02} height={1.02} />)
    }),
  )
  return (
    <svg className="qr" viewBox={`0 0 ${qr.size} ${qr.size}`} role="img" aria-label={label} shapeRendering="crispEdges">
      <rect width={qr.size} height={qr.size} fill="#fff" />
      <g fill="#000">{cells}</g>
    </svg>
  )
}

function RecoveryCodes({ codes }: { codes: string[] }) {
  return (
    <div className="recovery">
      <p>
        <strong>Save these recovery codes</strong> somewhere safe. Each one signs you in once if you lose your authenticator. They are shown only now.
      </p>
      <ul className="codes" aria-label="Recovery codes">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ul>
      <CopyField label="All codes" value={codes.join(' ')} />
    </div>
  )
}

function Security() {
  const me = useMe()
  const { refresh } = useSession()
  const notice = useNotice()
  useTitle('Security')
  const [setup, setSetup] = useState<{ secret: string; otpauth_url: string } | null>(null)
  const [code, setCode] = useState('')
  const [codes, setCodes] = useState<string[] | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [off, setOff] = useState({ password: '', code: '' })
  const [regen, setRegen] = useState('')

  if (codes) {
    return (
      <Section title="Two-factor authentication is on">
        <RecoveryCodes codes={codes} />
        <button type="button" className="button primary" onClick={() => setCodes(null)}>
          I have saved them
        </button>
      </Section>
    )
  }

  if (!me.user.totp_enabled) {
    return (
      <Section
        title="Two-factor authentication"
        description="Ask for a code from an authenticator app (1Password, Google Authenticator, Aegis…) every time you sign in."
      >
        {!setup ? (
          <>
            <ErrorText error={error} />
            <button
              type="button"
              className="button primary"
              onClick={async () => {
                try {
                  setSetup(await api.beginTOTP())
                  setError(null)
                } catch (e) {
                  setError(e)
                }
              }}
            >
              Set up two-factor authentication
            </button>
          </>
        ) : (
          <form
            className="totp-setup"
            onSubmit={async (e: FormEvent) => {
              e.preventDefault()
              try {
                const r = await api.enableTOTP(code.replace(/\s+/g, ''))
                await refresh()
                setCodes(r.recovery_codes)
                setSetup(null)
                setCode('')
                setError(null)
                notice('Two-factor authentication is on')
              } catch (err) {
                setError(err)
              }
            }}
          >
            <ol>
              <li>
                Scan this code with your authenticator app:
                <QRCode text={setup.otpauth_url} label="QR code for your authenticator app" />
              </li>
              <li>
                Or enter this key by hand: <code className="secret" data-testid="totp-secret">{setup.secret}</code>
              </li>
              <li>Enter the 6-digit code the app shows:</li>
            </ol>
            <Field label="Code" autoComplete="one-time-code" inputMode="numeric" required autoFocus value={code} onChange={(e) => setCode(e.target.value)} />
            <ErrorText error={error} />
            <div className="row">
              <button type="button" className="button" onClick={() => setSetup(null)}>
                Cancel
              </button>
              <button type="submit" className="button primary">
                Turn on
              </button>
            </div>
          </form>
        )}
      </Section>
    )
  }

  return (
    <>
      <Section title="Two-factor authentication is on" description="Signing in asks for a code from your authenticator app.">
        <form
          onSubmit={async (e) => {
            e.preventDefault()
            try {
              const r = await api.regenerateRecoveryCodes(regen)
              setRegen('')
              setCodes(r.recovery_codes)
              setError(null)
            } catch (err) {
              setError(err)
            }
          }}
        >
          <h3>New recovery codes</h3>
          <p className="muted">Replaces every recovery code you have.</p>
          <Field label="Password" type="password" autoComplete="current-password" required value={regen} onChange={(e) => setRegen(e.target.value)} />
          <button type="submit" className="button">
            Make new recovery codes
          </button>
        </form>
      </Section>
      <Section title="Turn off two-factor authentication">
        <form
          onSubmit={async (e) => {
            e.preventDefault()
            try {
              await api.disableTOTP(off.password, off.code.replace(/\s+/g, ''))
              await refresh()
              setOff({ password: '', code: '' })
              setError(null)
              notice('Two-factor authentication is off')
            } catch (err) {
              setError(err)
            }
          }}
        >
          <Field label="Password" type="password" autoComplete="current-password" required value={off.password} onChange={(e) => setOff({ ...off, password: e.target.value })} />
          <Field label="Code or recovery code" autoComplete="one-time-code" required value={off.code} onChange={(e) => setOff({ ...off, code: e.target.value })} />
          <ErrorText error={error} />
          <button type="submit" className="button danger">
            Turn off
          </button>
        </form>
      </Section>
    </>
  )
}

function Tokens() {
  useTitle('API tokens')
  const [tokens, setTokens] = useState<ApiToken[] | null>(null)
  const [created, setCreated] = useState<ApiToken | null>(null)
  const [form, setForm] = useState({ name: '', scope: 'read', expiry: '90' })
  const [error, setError] = useState<unknown>(null)
  const [revoking, setRevoking] = useState<ApiToken | null>(null)
  const scopeId = useId()
  const expiryId = useId()
  useEffect(() => {
    api.listTokens().then((p) => setTokens(p.items), setError)
  }, [])
  return (
    <>
      <Section
        title="API tokens"
        description={
          <>
            Tokens let scripts use the REST API (<code>Authorization: Bearer …</code>) as you, in this organization. The API is described at{' '}
            <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.
          </>
        }
      >
        {created?.token && <CopyField label={`Token “${created.name}” (shown once: copy it now)`} value={created.token} />}
        <form
          className="token-form"
          onSubmit={async (e) => {
            e.preventDefault()
            try {
              const expires_at = form.expiry ? new Date(Date.now() + Number(form.expiry) * 86400e3).toISOString() : undefined
              const t = await api.createToken({ name: form.name, scope: form.scope, expires_at }, newKey())
              setCreated(t)
              setTokens((ts) => [t, ...(ts ?? [])])
              setForm({ ...form, name: '' })
              setError(null)
            } catch (err) {
              setError(err)
            }
          }}
        >
          <Field label="Name" required maxLength={100} placeholder="Backup script" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
          <div className="field">
            <label htmlFor={scopeId}>Access</label>
            <select id={scopeId} value={form.scope} onChange={(e) => setForm({ ...form, scope: e.target.value })}>
              <option value="read">Read only</option>
              <option value="read-write">Read and write</option>
            </select>
          </div>
          <div className="field">
            <label htmlFor={expiryId}>Expires</label>
            <select id={expiryId} value={form.expiry} onChange={(e) => setForm({ ...form, expiry: e.target.value })}>
              <option value="30">In 30 days</option>
              <option value="90">In 90 days</option>
              <option value="365">In a year</option>
              <option value="">Never</option>
            </select>
          </div>
          <button type="submit" className="button primary">
            Create token
          </button>
        </form>
        <ErrorText error={error} />
      </Section>
      <Section title="Your tokens">
        {tokens?.length === 0 && <p className="muted">No tokens yet.</p>}
        {tokens && tokens.length > 0 && (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Token</th>
                <th scope="col">Access</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tokens.map((t) => (
                <tr key={t.id}>
                  <td>{t.name}</td>
                  <td>
                    <code>{t.prefix}…</code>
                  </td>
                  <td>{t.scope === 'read' ? 'Read only' : 'Read and write'}</td>
                  <td>{t.last_used_at ? formatDate(t.last_used_at) : 'Never'}</td>
                  <td>{t.expires_at ? new Date(t.expires_at).toLocaleDateString() : 'Never'}</td>
                  <td>
                    <button type="button" className="button" aria-label={`Revoke ${t.name}`} onClick={() => setRevoking(t)}>
                      Revoke
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
      {revoking && (
        <ConfirmDialog
          title="Revoke token?"
          message={`Scripts using “${revoking.name}” stop working at once.`}
          confirm="Revoke"
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            await api.deleteToken(revoking.id)
            setTokens((ts) => ts!.filter((x) => x.id !== revoking.id))
            if (created?.id === revoking.id) setCreated(null)
          }}
        />
      )}
    </>
  )
}

const orgRoles: { value: OrgRole; label: string; help: string }[] = [
  { value: 'owner', label: 'Owner', help: 'everything, including other owners' },
  { value: 'admin', label: 'Admin', help: 'manages members and every document' },
  { value: 'member', label: 'Member', help: "gets the organization's default access to documents" },
  { value: 'guest', label: 'Guest', help: 'sees only what is shared with them' },
]

function Members() {
  const me = useMe()
  const admin = isAdmin(me)
  const notice = useNotice()
  useTitle('Members')
  const [members, setMembers] = useState<Member[] | null>(null)
  const [invitations, setInvitations] = useState<Invitation[]>([])
  const [invite, setInvite] = useState({ email: '', role: 'member' as OrgRole })
  const [link, setLink] = useState<{ email: string; url: string } | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [removing, setRemoving] = useState<Member | null>(null)
  const roleId = useId()
  const mayGrant = (r: OrgRole) => me.role === 'owner' || r !== 'owner'

  useEffect(() => {
    listAll((c) => api.members(c)).then(setMembers, setError)
    if (admin) api.invitations().then((p) => setInvitations(p.items), setError)
  }, [admin])

  return (
    <>
      {admin && (
        <Section title="Invite people" description="Send the invitation link to the person you invite; it works once, for that email address.">
          <form
            className="invite-form"
            onSubmit={async (e) => {
              e.preventDefault()
              try {
                const inv = await api.invite(invite.email, invite.role, newKey())
                setLink({ email: inv.email, url: `${location.origin}/invite#${inv.token}` })
                setInvitations((is) => [inv, ...is])
                setInvite({ ...invite, email: '' })
                setError(null)
              } catch (err) {
                setError(err)
              }
            }}
          >
            <Field
              label="Email"
              type="email"
              required
              value={invite.email}
              onChange={(e) => setInvite({ ...invite, email: e.target.value })}
              error={error instanceof ApiError ? error.field('email') : undefined}
            />
            <div className="field">
              <label htmlFor={roleId}>Role</label>
              <select id={roleId} value={invite.role} onChange={(e) => setInvite({ ...invite, role: e.target.value as OrgRole })}>
                {orgRoles.filter((r) => mayGrant(r.value)).map((r) => (
                  <option key={r.value} value={r.value}>
                    {r.label}: {r.help}
                  </option>
                ))}
              </select>
            </div>
            <button type="submit" className="button primary">
              Invite
            </button>
          </form>
          {link && <CopyField label={`Invitation link for ${link.email} (shown once: copy it now)`} value={link.url} />}
        </Section>
      )}
      <ErrorText error={error} />
      <Section title={`Members of ${currentOrganization(me)?.organization.name ?? 'the organization'}`}>
        <ul className="people" aria-busy={members === null}>
          {members?.map((m) => (
            <li key={m.user_id} className="person">
              <Avatar name={m.name || m.email} color={colorFor(m.user_id)} />
              <span className="person-name">
                {m.name || m.email}
                {m.user_id === me.user.id && ' (you)'}
                <span className="muted"> {m.email}</span>
              </span>
              {admin && m.user_id !== me.user.id && mayGrant(m.role) ? (
                <>
                  <select
                    aria-label={`Role of ${m.name || m.email}`}
                    value={m.role}
                    onChange={async (e) => {
                      try {
                        const nm = await api.setRole(m.user_id, e.target.value)
                        setMembers((ms) => ms!.map((x) => (x.user_id === nm.user_id ? nm : x)))
                        notice(`${nm.name || nm.email} is now ${nm.role === 'admin' ? 'an' : 'a'} ${nm.role}`)
                      } catch (err) {
                        setError(err)
                      }
                    }}
                  >
                    {orgRoles.filter((r) => mayGrant(r.value)).map((r) => (
                      <option key={r.value} value={r.value}>
                        {r.label}
                      </option>
                    ))}
                  </select>
                  <button type="button" className="button" aria-label={`Remove ${m.name || m.email}`} onClick={() => setRemoving(m)}>
                    Remove
                  </button>
                </>
              ) : (
                <span className="badge">{m.role}</span>
              )}
            </li>
          ))}
        </ul>
      </Section>
      {admin && invitations.length > 0 && (
        <Section title="Pending invitations">
          <ul className="people">
            {invitations.map((i) => (
              <li key={i.id} className="person">
                <span className="person-name">
                  {i.email}
                  <span className="muted">
                    {' '}
                    {i.role}, expires {new Date(i.expires_at).toLocaleDateString()}
                  </span>
                </span>
                <button
                  type="button"
                  className="button"
                  aria-label={`Revoke invitation for ${i.email}`}
                  onClick={async () => {
                    try {
                      await api.revokeInvitation(i.id)
                      setInvitations((is) => is.filter((x) => x.id !== i.id))
                    } catch (err) {
                      setError(err)
                    }
                  }}
                >
                  Revoke
                </button>
              </li>
            ))}
          </ul>
        </Section>
      )}
      {removing && (
        <ConfirmDialog
          title="Remove member?"
          message={`${removing.name || removing.email} loses access to the organization and its documents at once, open documents included.`}
          confirm="Remove"
          onClose={() => setRemoving(null)}
          onConfirm={async () => {
            await api.removeMember(removing.user_id)
            setMembers((ms) => ms!.filter((x) => x.user_id !== removing.user_id))
          }}
        />
      )}
    </>
  )
}

function OrganizationSettings() {
  const me = useMe()
  const { refresh } = useSession()
  const notice = useNotice()
  useTitle('Organization')
  const org = currentOrganization(me)?.organization
  const [name, setName] = useState(org?.name ?? '')
  const [access, setAccess] = useState<string>(org?.default_access ?? 'editor')
  const [error, setError] = useState<unknown>(null)
  const accessId = useId()
  return (
    <Section title="Organization">
      <form
        onSubmit={async (e) => {
          e.preventDefault()
          try {
            await api.updateOrganization({ name, default_access: access })
            await refresh()
            setError(null)
            notice('Organization saved')
          } catch (err) {
            setError(err)
          }
        }}
      >
        <Field label="Name" required value={name} onChange={(e) => setName(e.target.value)} />
        <div className="field">
          <label htmlFor={accessId}>Members' access to every document</label>
          <select id={accessId} value={access} onChange={(e) => setAccess(e.target.value)}>
            <option value="editor">Can edit</option>
            <option value="commenter">Can comment</option>
            <option value="viewer">Can view</option>
            <option value="">None: only what is shared with them</option>
          </select>
          <p className="hint">Owners and admins always have full access; guests only see what is shared with them.</p>
        </div>
        <ErrorText error={error} />
        <button type="submit" className="button primary">
          Save
        </button>
      </form>
    </Section>
  )
}
