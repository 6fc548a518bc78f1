// Signing in (with a second factor when it is on), signing up, and
// accepting an invitation.

import { useEffect, useState, type FormEvent, type ReactNode } from 'react'
import { api, ApiError } from '../api'
import { Link, navigate } from '../router'
import { useSession } from '../session'
import { ErrorText, Field, useTitle } from '../ui'

function AuthCard({ title, children, footer }: { title: string; children: ReactNode; footer?: ReactNode }) {
  useTitle(title)
  return (
    <main className="auth">
      <div className="auth-card">
        <div className="brand auth-brand">Tandem</div>
        <h1>{title}</h1>
        {children}
      </div>
      {footer && <p className="auth-footer">{footer}</p>}
    </main>
  )
}

/** next is where to go after signing in: the page the visitor wanted, if
 * it is one of ours. */
function next(): string {
  const n = new URLSearchParams(location.search).get('next') ?? '/'
  return n.startsWith('/') && !n.startsWith('//') ? n : '/'
}

export function LoginPage() {
  const { signedIn } = useSession()
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [mfaToken, setMfaToken] = useState<string | null>(null)
  const [code, setCode] = useState('')
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)

  async function login(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const r = await api.login({ email, password })
      if (r.mfa_required && r.mfa_token) {
        setMfaToken(r.mfa_token)
        setBusy(false)
        return
      }
      await signedIn(r.session!)
      navigate(next(), { replace: true })
    } catch (err) {
      setError(err)
      setBusy(false)
    }
  }

  async function second(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const s = await api.loginMFA({ mfa_token: mfaToken!, code: code.replace(/\s+/g, '') })
      await signedIn(s)
      navigate(next(), { replace: true })
    } catch (err) {
      if (err instanceof ApiError && err.status === 401 && /expired|start again/i.test(err.message)) setMfaToken(null)
      setError(err)
      setBusy(false)
    }
  }

  if (mfaToken) {
    return (
      <AuthCard title="Two-factor authentication">
        <form onSubmit={second}>
          <p>Enter the 6-digit code from your authenticator app, or one of your recovery codes.</p>
          <Field
            label="Code"
            name="code"
            autoComplete="one-time-code"
            inputMode="text"
            autoFocus
            required
            value={code}
            onChange={(e) => setCode(e.target.value)}
          />
          <ErrorText error={error} />
          <button type="submit" className="button primary wide" disabled={busy}>
            Verify
          </button>
          <button type="button" className="link-button" onClick={() => setMfaToken(null)}>
            Use another account
          </button>
        </form>
      </AuthCard>
    )
  }

  return (
    <AuthCard
      title="Sign in"
      footer={
        <>
          New here? <Link to="/signup">Create an account</Link>
        </>
      }
    >
      <form onSubmit={login}>
        <Field label="Email" name="email" type="email" autoComplete="username" autoFocus required value={email} onChange={(e) => setEmail(e.target.value)} />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <ErrorText error={error} />
        <button type="submit" className="button primary wide" disabled={busy}>
          Sign in
        </button>
      </form>
    </AuthCard>
  )
}

export function SignupPage() {
  const { signedIn } = useSession()
  const [f, setF] = useState({ name: '', email: '', password: '', organization_name: '' })
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const fieldError = (n: string) => (error instanceof ApiError ? error.field(n) : undefined)

  async function submit(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const s = await api.signUp(f)
      await signedIn(s)
      navigate('/', { replace: true })
    } catch (err) {
      setError(err)
      setBusy(false)
    }
  }
  const set = (k: keyof typeof f) => (e: React.ChangeEvent<HTMLInputElement>) => setF({ ...f, [k]: e.target.value })
  return (
    <AuthCard
      title="Create your account"
      footer={
        <>
          Already have an account? <Link to="/login">Sign in</Link>
        </>
      }
    >
      <form onSubmit={submit}>
        <Field label="Your name" name="name" autoComplete="name" autoFocus required value={f.name} onChange={set('name')} error={fieldError('name')} />
        <Field label="Email" name="email" type="email" autoComplete="email" required value={f.email} onChange={set('email')} error={fieldError('email')} />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          minLength={10}
          hint="At least 10 characters."
          value={f.password}
          onChange={set('password')}
          error={fieldError('password')}
        />
        <Field
          label="Organization"
          name="organization_name"
          autoComplete="organization"
          required
          hint="Your team or company; you can invite people to it."
          value={f.organization_name}
          onChange={set('organization_name')}
          error={fieldError('organization_name')}
        />
        {!(error instanceof ApiError && error.fields.length > 0) && <ErrorText error={error} />}
        <button type="submit" className="button primary wide" disabled={busy}>
          Create account
        </button>
      </form>
    </AuthCard>
  )
}

/** InvitePage accepts an invitation from the link an admin sent: the token
 * is in the fragment (/invite#tdi_...). */
export function InvitePage() {
  const { me, signedIn, refresh } = useSession()
  const token = location.hash.slice(1)
  const [info, setInfo] = useState<Awaited<ReturnType<typeof api.lookupInvitation>> | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [name, setName] = useState('')
  const [password, setPassword] = useState('')
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    if (!token) {
      setError(new Error('This invitation link is incomplete. Ask for a new one.'))
      return
    }
    api.lookupInvitation(token).then(setInfo, setError)
  }, [token])

  if (error && !info) {
    return (
      <AuthCard title="Invitation">
        <ErrorText error={error instanceof ApiError && error.status === 404 ? new Error('This invitation has expired, was revoked or was already used.') : error} />
        <Link to="/">Go to Tandem</Link>
      </AuthCard>
    )
  }
  if (!info) return <AuthCard title="Invitation">{<p className="muted">Loading…</p>}</AuthCard>

  const intro = (
    <p>
      You are invited to join <strong>{info.organization_name}</strong> as {info.role === 'guest' ? 'a guest' : `${/^[aeiou]/.test(info.role) ? 'an' : 'a'} ${info.role}`}.
    </p>
  )

  if (me) {
    return (
      <AuthCard title="Join organization">
        {intro}
        <p className="muted">You are signed in as {me.user.email}.</p>
        <ErrorText error={error} />
        <button
          type="button"
          className="button primary wide"
          disabled={busy}
          onClick={async () => {
            setBusy(true)
            try {
              const m = await api.joinInvitation(token)
              await api.switchOrganization(m.organization.id)
              await refresh()
              navigate('/', { replace: true })
            } catch (e) {
              setError(e)
              setBusy(false)
            }
          }}
        >
          Join {info.organization_name}
        </button>
      </AuthCard>
    )
  }

  if (info.has_account) {
    return (
      <AuthCard title="Join organization">
        {intro}
        <p>
          Sign in as <strong>{info.email}</strong> to accept it.
        </p>
        <button type="button" className="button primary wide" onClick={() => navigate('/login?next=' + encodeURIComponent('/invite#' + token))}>
          Sign in
        </button>
      </AuthCard>
    )
  }

  return (
    <AuthCard title="Join organization">
      {intro}
      <form
        onSubmit={async (e) => {
          e.preventDefault()
          setBusy(true)
          setError(null)
          try {
            const s = await api.acceptInvitation({ token, name, password })
            await signedIn(s)
            navigate('/', { replace: true })
          } catch (err) {
            setError(err)
            setBusy(false)
          }
        }}
      >
        <Field label="Email" type="email" value={info.email} readOnly autoComplete="username" />
        <Field label="Your name" autoComplete="name" autoFocus required value={name} onChange={(e) => setName(e.target.value)} />
        <Field
          label="Password"
          type="password"
          autoComplete="new-password"
          required
          minLength={10}
          hint="At least 10 characters."
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <ErrorText error={error} />
        <button type="submit" className="button primary wide" disabled={busy}>
          Create account and join
        </button>
      </form>
    </AuthCard>
  )
}
