// The signed-in user, their organizations and the CSRF token, for the whole
// app. GET /me answers all three after a reload (the cookie is HttpOnly, so
// the page cannot read the session itself).

import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react'
import { api, ApiError, setCsrfToken, setUnauthorizedHandler, type Me, type Session } from './api'
import { forgetLocalDocuments } from './editor/local'
import { mayLeave, navigate } from './router'
import { colorFor } from './ui'

interface SessionValue {
  /** undefined while loading, null when signed out. */
  me: Me | null | undefined
  refresh: () => Promise<Me | null>
  /** signedIn adopts a session from login, sign-up or an invitation. */
  signedIn: (s: Session) => Promise<void>
  signOut: () => Promise<void>
}

const SessionContext = createContext<SessionValue | null>(null)

export function SessionProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null | undefined>(undefined)

  const refresh = useCallback(async () => {
    try {
      const m = await api.me()
      setCsrfToken(m.csrf_token)
      setMe(m)
      return m
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        setCsrfToken(null)
        setMe(null)
        return null
      }
      throw e
    }
  }, [])

  useEffect(() => {
    refresh().catch(() => setMe(null))
    setUnauthorizedHandler(() => {
      setCsrfToken(null)
      setMe(null)
    })
    return () => setUnauthorizedHandler(null)
  }, [refresh])

  const signedIn = useCallback(
    async (s: Session) => {
      setCsrfToken(s.csrf_token)
      await refresh()
    },
    [refresh],
  )

  const signOut = useCallback(async () => {
    if (!mayLeave()) return
    const userId = me?.user.id
    try {
      await api.logout()
    } catch {
      // The session may be gone already; signing out locally still holds.
    }
    setCsrfToken(null)
    // Documents kept for offline editing stay on a shared computer
    // otherwise.
    if (userId) await forgetLocalDocuments(userId)
    setMe(null)
    navigate('/login', { replace: true })
  }, [me])

  const value = useMemo(() => ({ me, refresh, signedIn, signOut }), [me, refresh, signedIn, signOut])
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>
}

export function useSession(): SessionValue {
  const v = useContext(SessionContext)
  if (!v) throw new Error('useSession outside SessionProvider')
  return v
}

/** useMe is the signed-in user; only for pages behind sign-in. */
export function useMe(): Me {
  const { me } = useSession()
  if (!me) throw new Error('useMe while signed out')
  return me
}

export function currentOrganization(me: Me) {
  return me.organizations.find((m) => m.organization.id === me.organization_id)
}

export function isAdmin(me: Me): boolean {
  return me.role === 'owner' || me.role === 'admin'
}

export function userColor(me: Me): string {
  return colorFor(me.user.id)
}
