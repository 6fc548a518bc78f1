// A small client-side router over the History API: the app has a dozen
// routes, which does not justify a routing library.

import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react'

type Listener = () => void
const listeners = new Set<Listener>()

function notify() {
  for (const l of listeners) l()
}

window.addEventListener('popstate', notify)

/** Guards run before a client-side navigation; one returning false stops
 * it (the editor asks before leaving unsaved edits). */
const guards = new Set<() => boolean>()

export function addNavigationGuard(g: () => boolean): () => void {
  guards.add(g)
  return () => guards.delete(g)
}

/** mayLeave asks the navigation guards whether the current page may go. */
export function mayLeave(): boolean {
  for (const g of guards) if (!g()) return false
  return true
}

export function navigate(to: string, opts: { replace?: boolean } = {}) {
  const here = location.pathname + location.search + location.hash
  if (to === here) return
  if (!mayLeave()) return
  if (opts.replace) history.replaceState(null, '', to)
  else history.pushState(null, '', to)
  window.scrollTo(0, 0)
  notify()
}

function subscribe(l: Listener) {
  listeners.add(l)
  return () => listeners.delete(l)
}

/** useLocation re-renders on every navigation and returns the path, search
 * and hash. */
export function useLocation(): { path: string; search: string; hash: string } {
  const href = useSyncExternalStore(subscribe, () => location.pathname + '\u0000' + location.search + '\u0000' + location.hash)
  const [path, search, hash] = href.split('\u0000')
  return { path, search, hash }
}

/** match tests a path against a pattern with :params. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const ps = pattern.split('/')
  const xs = path.replace(/\/+$/, '').split('/')
  if (path === '/' && pattern === '/') return {}
  if (ps.length !== xs.length) return null
  const out: Record<string, string> = {}
  for (let i = 0; i < ps.length; i++) {
    if (ps[i].startsWith(':')) {
      if (!xs[i]) return null
      out[ps[i].slice(1)] = decodeURIComponent(xs[i])
    } else if (ps[i] !== xs[i]) return null
  }
  return out
}

/** Link is an <a> that navigates without reloading the page (ordinary
 * clicks only: a middle or modified click opens a new tab as usual). */
export function Link({ to, onClick, ...rest }: { to: string } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  function click(e: MouseEvent<HTMLAnchorElement>) {
    onClick?.(e)
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
    e.preventDefault()
    navigate(to)
  }
  return <a href={to} onClick={click} {...rest} />
}
