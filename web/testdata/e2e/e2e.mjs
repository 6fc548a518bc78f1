// Browser end-to-end test of Tandem's web app, run by web/e2e_test.go
// against a real Tandem: Debian's Chromium driven by playwright-core.
//
// Environment:
//   TANDEM_URL        the server's base URL
//   TANDEM_ARTIFACTS  where screenshots and timings go
//   CHROMIUM          the browser (default /usr/bin/chromium)
//
// The Go test owns the server process. To stop or start it the script
// prints "@@tandem stop" or "@@tandem start" on stdout and waits for a line
// on stdin. Each step prints "step: <name> (<ms> ms)"; a failure prints the
// error, saves a screenshot of every open page, and exits 1.

import { createHmac } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { chromium } from 'playwright-core'

const base = process.env.TANDEM_URL
const artifacts = process.env.TANDEM_ARTIFACTS
if (!base || !artifacts) {
  console.error('TANDEM_URL and TANDEM_ARTIFACTS must be set (run this through go test ./web)')
  process.exit(2)
}
mkdirSync(artifacts, { recursive: true })

// --- Server control through the Go test ---------------------------------

const stdin = createInterface({ input: process.stdin })
const replies = []
const waiting = []
stdin.on('line', (l) => (waiting.length ? waiting.shift()(l) : replies.push(l)))
async function server(cmd) {
  process.stdout.write(`@@tandem ${cmd}\n`)
  const reply = await new Promise((resolve) => (replies.length ? resolve(replies.shift()) : waiting.push(resolve)))
  if (reply !== 'ok') throw new Error(`server ${cmd}: ${reply}`)
}

// --- Helpers --------------------------------------------------------------

const pages = new Map() // name -> page, for failure screenshots
const problems = [] // CSP violations and uncaught errors, from every page
const timings = {}

function check(cond, msg) {
  if (!cond) throw new Error(msg)
}

async function step(name, fn) {
  const t0 = Date.now()
  try {
    await fn()
  } catch (e) {
    console.log(`FAIL step: ${name}: ${e?.stack ?? e}`)
    for (const [n, p] of pages) {
      if (!p.isClosed()) await p.screenshot({ path: join(artifacts, `failure-${n}.png`), fullPage: true }).catch(() => {})
    }
    throw e
  }
  console.log(`step: ${name} (${Date.now() - t0} ms)`)
}

async function shot(page, name) {
  await page.screenshot({ path: join(artifacts, `${name}.png`) })
}

async function newUser(browser, name, viewport = { width: 1280, height: 800 }) {
  const ctx = await browser.newContext({ viewport, baseURL: base, reducedMotion: 'reduce' })
  const page = await ctx.newPage()
  watch(page, name)
  return { ctx, page }
}

function watch(page, name) {
  pages.set(name, page)
  page.on('pageerror', (e) => problems.push(`${name}: uncaught ${e.message}`))
  page.on('console', (m) => {
    const t = m.text()
    if (/Content.Security.Policy|Refused to/i.test(t)) problems.push(`${name}: ${t}`)
  })
}

// RFC 6238 TOTP, as an authenticator app computes it.
function base32(s) {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let bits = 0
  let value = 0
  const out = []
  for (const c of s.replace(/=+$/, '').toUpperCase()) {
    const i = abc.indexOf(c)
    if (i < 0) continue
    value = (value << 5) | i
    bits += 5
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255)
      bits -= 8
    }
  }
  return Buffer.from(out)
}
function totp(secret, step) {
  const msg = Buffer.alloc(8)
  msg.writeBigUInt64BE(BigInt(step))
  const h = createHmac('sha1', base32(secret)).update(msg).digest()
  const o = h[19] & 15
  const n = (((h[o] & 127) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3]) % 1e6
  return String(n).padStart(6, '0')
}

// The document's text, without the name labels of other people's carets
// (which live inside the editor's DOM).
function docText() {
  const el = document.querySelector('.ProseMirror')?.cloneNode(true)
  if (!el) return ''
  el.querySelectorAll('.collaboration-carets__caret').forEach((n) => n.remove())
  return el.textContent
}
const editorText = (page) => page.evaluate(docText)

async function waitText(page, text, timeout) {
  await page.waitForFunction(
    (t) => {
      const el = document.querySelector('.ProseMirror')?.cloneNode(true)
      if (!el) return false
      el.querySelectorAll('.collaboration-carets__caret').forEach((n) => n.remove())
      return el.textContent.includes(t)
    },
    text,
    { timeout },
  )
}

async function syncState(page, state, timeout = 5000) {
  await page.locator(`[data-testid=sync-state][data-state=${state}]`).waitFor({ timeout })
}

/** editorFocused waits until the document has the keyboard focus (the
 * toolbar gives it back on the next animation frame). */
async function editorFocused(page) {
  await page.waitForFunction(() => document.activeElement?.classList.contains('ProseMirror'), null, { timeout: 2000 })
}

/** typeAtEnd puts the caret at the end of the document and types. */
async function typeAtEnd(page, text) {
  await page.locator('.ProseMirror').click()
  await page.keyboard.press('Control+End')
  await page.keyboard.type(text)
}

// --- The scenario -----------------------------------------------------------

const password = 'correct horse battery staple'
const alice = { name: 'Alice Owner', email: 'alice@example.com' }
const bob = { name: 'Bob Member', email: 'bob@example.com' }
const carol = { name: 'Carol Guest', email: 'carol@example.com' }

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  // Playwright gives every launch a fresh, empty profile (--user-data-dir).
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-quic',
    '--no-first-run',
    '--disable-component-update',
    '--disable-sync',
  ],
})

let ok = false
try {
  const A = await newUser(browser, 'alice')
  const a = A.page
  let docId = ''
  let aliceSecret = ''
  let totpStep = 0

  await step('sign up: the first user creates the organization', async () => {
    await a.goto('/')
    await a.waitForURL('**/login')
    await a.getByRole('link', { name: 'Create an account' }).click()
    await a.getByLabel('Your name').fill(alice.name)
    await a.getByLabel('Email').fill(alice.email)
    await a.getByLabel('Password').fill(password)
    await a.getByLabel('Organization').fill('Acme')
    await shot(a, '01-sign-up')
    await a.getByRole('button', { name: 'Create account' }).click()
    await a.getByRole('heading', { name: 'Home' }).waitFor()
    await a.getByText('No documents yet').waitFor()
    check((await a.locator('.org-name').innerText()) === 'Acme', 'organization name in the sidebar')
  })

  await step('create a folder and a document, write with the toolbar and shortcuts', async () => {
    await a.getByRole('button', { name: 'New folder' }).click()
    await a.getByRole('dialog').getByLabel('Name').fill('Projects')
    await a.getByRole('button', { name: 'Create folder' }).click()
    await a.getByRole('list', { name: 'Home' }).getByRole('link', { name: 'Projects' }).waitFor()
    await a.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Projects' }).waitFor()

    await a.getByRole('button', { name: 'New document' }).click()
    await a.waitForURL('**/d/*')
    docId = a.url().split('/d/')[1]
    await syncState(a, 'saved')
    await a.getByLabel('Title').fill('Launch plan')
    await a.getByLabel('Title').press('Enter')
    // A heading from the style menu, then text, a bulleted list (Markdown
    // shortcut), a task list (toolbar), a quote, code and a table.
    await a.getByLabel('Text style').selectOption('h2')
    await editorFocused(a)
    await a.keyboard.type('Goals')
    await a.keyboard.press('Enter')
    await a.keyboard.type('We ship the editor people open every day. ')
    await a.keyboard.press('Control+b')
    await a.keyboard.type('Bold claim.')
    await a.keyboard.press('Control+b')
    await a.keyboard.press('Enter')
    await a.keyboard.type('- first point')
    await a.keyboard.press('Enter')
    await a.keyboard.type('second point')
    await a.keyboard.press('Enter')
    await a.keyboard.press('Enter')
    await a.getByRole('button', { name: 'Task list' }).click()
    await a.keyboard.type('write the tests')
    await a.keyboard.press('Enter')
    await a.keyboard.press('Enter')
    await a.getByRole('button', { name: 'Quote' }).click()
    await a.keyboard.type('Nothing acknowledged is lost.')
    await a.keyboard.press('Enter')
    await a.keyboard.press('Enter')
    // A link from Ctrl+K.
    await a.keyboard.type('Read the docs')
    await a.keyboard.press('Shift+Home')
    // At once: Ctrl+K must act on the selection Shift+Home just made.
    await a.keyboard.press('Control+k')
    await a.getByRole('dialog', { name: 'Add link' }).getByLabel('Address').fill('tandem.example/docs')
    await a.keyboard.press('Enter')
    await a.locator('.ProseMirror a[href="https://tandem.example/docs"]').waitFor()
    // The dialog gives the focus back to the editor on its next frame (with
    // the caret after the link); keys sent before that would be lost.
    await editorFocused(a)
    // The caret is after the link: what is typed next neither replaces the
    // linked text nor extends the link.
    await a.keyboard.type('.')
    await a.waitForFunction(() => document.querySelector('.ProseMirror')?.innerHTML.includes('>Read the docs</a>.'), null, { timeout: 5000 })
      .catch(() => check(false, 'Ctrl+K linked the selected text, and typing after it continues outside the link'))
    await a.keyboard.press('Enter')
    // A code block from its shortcut; Enter three times leaves it.
    await a.keyboard.press('Control+Alt+c')
    await a.keyboard.type('go test ./...')
    await a.keyboard.press('Enter')
    await a.keyboard.press('Enter')
    await a.keyboard.press('Enter')
    // Undo takes back the last change only. The undo manager groups changes
    // less than 500 ms apart by the page's clock, and on a loaded machine the
    // page may handle queued keystrokes late: leave a wide margin.
    // The margins count from when the page shows the text, not from when
    // the keys were sent.
    await waitText(a, 'go test ./...', 5000)
    await a.waitForTimeout(1500)
    await a.keyboard.type('oops')
    await waitText(a, 'oops', 5000)
    await a.waitForTimeout(1500)
    await a.keyboard.press('Control+z')
    check(!(await editorText(a)).includes('oops'), 'undo took the typing back')
    check((await editorText(a)).includes('go test ./...'), 'undo kept the earlier edits')
    await a.getByRole('button', { name: 'Insert table' }).click()
    await a.keyboard.type('Owner')
    await a.getByRole('button', { name: 'Add row below' }).waitFor()
    const html = await a.locator('.ProseMirror').innerHTML()
    for (const tag of ['<h2', '<strong>', '<ul', 'data-type="taskList"', '<blockquote', '<a ', '<pre', '<table']) {
      check(html.includes(tag), `editor content has ${tag}`)
    }
    check(a.url().includes(docId), 'still on the document')
    check((await a.getByLabel('Title').inputValue()) === 'Launch plan', 'typing after Enter went into the document, not the title')
    await syncState(a, 'saved')
    await shot(a, '02-editor')
  })

  await step('two-factor authentication: set up with the QR code secret', async () => {
    await a.goto('/settings/security')
    await a.getByRole('button', { name: 'Set up two-factor authentication' }).click()
    await a.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor()
    aliceSecret = (await a.getByTestId('totp-secret').innerText()).trim()
    totpStep = Math.floor(Date.now() / 1000 / 30)
    await a.getByLabel('Code', { exact: true }).fill(totp(aliceSecret, totpStep))
    await shot(a, '03-2fa-setup')
    await a.getByRole('button', { name: 'Turn on' }).click()
    await a.getByRole('list', { name: 'Recovery codes' }).waitFor()
    check((await a.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem').count()) >= 8, 'recovery codes shown')
    await a.getByRole('button', { name: 'I have saved them' }).click()
    await a.getByRole('heading', { name: 'Turn off two-factor authentication' }).waitFor()
  })

  await step('sign out, sign in again with password and TOTP code', async () => {
    await a.getByRole('button', { name: 'Sign out' }).click()
    await a.waitForURL('**/login')
    // Signed out: the API refuses the old session.
    const me = await a.evaluate(() => fetch('/api/v1/me').then((r) => r.status))
    check(me === 401, `GET /me after sign-out answered ${me}`)
    await a.getByLabel('Email').fill(alice.email)
    await a.getByLabel('Password').fill('wrong password!!')
    await a.getByRole('button', { name: 'Sign in' }).click()
    await a.getByRole('alert').waitFor()
    await a.getByLabel('Password').fill(password)
    await a.getByRole('button', { name: 'Sign in' }).click()
    await a.getByRole('heading', { name: 'Two-factor authentication' }).waitFor()
    // A code of the next step (the server accepts one step of skew, and
    // never the same step twice).
    await a.getByLabel('Code', { exact: true }).fill(totp(aliceSecret, totpStep + 1))
    await shot(a, '04-sign-in-2fa')
    await a.getByRole('button', { name: 'Verify' }).click()
    await a.getByRole('heading', { name: 'Home' }).waitFor()
  })

  const links = {}
  await step('invite a member and a guest', async () => {
    await a.goto('/settings/members')
    for (const [who, role] of [
      [bob, 'member'],
      [carol, 'guest'],
    ]) {
      await a.getByLabel('Email').fill(who.email)
      await a.getByLabel('Role').selectOption(role)
      await a.getByRole('button', { name: 'Invite', exact: true }).click()
      const field = a.getByLabel(`Invitation link for ${who.email} (shown once: copy it now)`)
      await field.waitFor()
      links[who.email] = await field.inputValue()
      check(links[who.email].startsWith(`${base}/invite#tdi_`), `invitation link ${links[who.email]}`)
    }
    await a.getByRole('heading', { name: 'Pending invitations' }).waitFor()
    await shot(a, '05-members')
  })

  await step('API tokens: create one (shown once), use it, revoke it', async () => {
    await a.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'API tokens' }).click()
    await a.getByLabel('Name').fill('Backup script')
    await a.getByLabel('Access').selectOption('read')
    await a.getByRole('button', { name: 'Create token' }).click()
    const field = a.getByLabel('Token “Backup script” (shown once: copy it now)')
    await field.waitFor()
    const token = await field.inputValue()
    check(token.startsWith('tdt_'), `token ${token.slice(0, 8)}…`)
    const status = () => fetch(`${base}/api/v1/me`, { headers: { Authorization: `Bearer ${token}` } }).then((r) => r.status)
    check((await status()) === 200, 'the token works')
    await shot(a, '06-api-tokens')
    await a.getByRole('button', { name: 'Revoke Backup script' }).click()
    await a.getByRole('dialog', { name: 'Revoke token?' }).getByRole('button', { name: 'Revoke' }).click()
    await a.getByText('No tokens yet.').waitFor()
    check((await status()) === 401, 'the revoked token is refused')
  })

  await step('organization switcher: create another organization and come back', async () => {
    await a.getByRole('button', { name: 'Switch organization' }).click()
    await a.getByRole('menuitem', { name: 'New organization…' }).click()
    await a.getByRole('dialog').getByLabel('Name').fill('Side project')
    await a.getByRole('button', { name: 'Create organization' }).click()
    await a.locator('.org-name', { hasText: 'Side project' }).waitFor()
    await a.getByText('No documents yet').waitFor()
    await a.getByRole('button', { name: 'Switch organization' }).click()
    await a.getByRole('menuitem', { name: 'Switch to Acme' }).click()
    await a.locator('.org-name', { hasText: 'Acme' }).waitFor()
    await a.getByRole('list', { name: 'Home' }).getByRole('link', { name: 'Launch plan' }).waitFor()
  })

  const B = await newUser(browser, 'bob')
  const b = B.page
  const C = await newUser(browser, 'carol')
  const c = C.page
  await step('the invited people create their accounts from the links', async () => {
    for (const [page, who] of [
      [b, bob],
      [c, carol],
    ]) {
      await page.goto(links[who.email])
      await page.getByText('You are invited to join Acme').waitFor()
      await page.getByLabel('Your name').fill(who.name)
      await page.getByLabel('Password').fill(password)
      await page.getByRole('button', { name: 'Create account and join' }).click()
      await page.getByRole('heading', { name: 'Home' }).waitFor()
    }
    // Bob is a member (the organization gives members edit access); Carol
    // is a guest and sees nothing until something is shared with her.
    await b.getByRole('link', { name: 'Launch plan' }).waitFor()
    await c.getByText('No documents yet').waitFor()
  })

  await step('documents: rename, move, favorite, trash and restore', async () => {
    await a.goto('/')
    await a.getByRole('button', { name: 'New document' }).click()
    await a.waitForURL('**/d/*')
    await a.getByLabel('Title').fill('Scratch')
    await a.getByLabel('Title').press('Enter')
    await a.keyboard.type('notes')
    await syncState(a, 'saved')
    await a.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Home' }).click()
    const list = a.getByRole('list', { name: 'Home' })
    await list.getByRole('link', { name: 'Scratch' }).waitFor()

    await a.getByRole('button', { name: 'Actions for Scratch' }).click()
    await a.getByRole('menuitem', { name: 'Rename…' }).click()
    await a.getByRole('dialog').getByLabel('Title').fill('Scratch notes')
    await a.getByRole('button', { name: 'Rename' }).click()
    await list.getByRole('link', { name: 'Scratch notes' }).waitFor()

    await a.getByRole('button', { name: 'Actions for Scratch notes' }).click()
    await a.getByRole('menuitem', { name: 'Move to…' }).click()
    await a.getByRole('dialog').getByRole('button', { name: 'Projects' }).click()
    await a.getByRole('button', { name: 'Move to Projects' }).click()
    await list.getByRole('link', { name: 'Scratch notes' }).waitFor({ state: 'detached' })
    await a.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Projects' }).click()
    const folder = a.getByRole('list', { name: 'Projects' })
    await folder.getByRole('link', { name: 'Scratch notes' }).waitFor()

    await a.getByRole('button', { name: 'Actions for Scratch notes' }).click()
    await a.getByRole('menuitem', { name: 'Move to trash' }).click()
    await a.getByText('This folder is empty.').waitFor()
    await a.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Trash' }).click()
    await a.getByRole('list', { name: 'Trash' }).getByText('Scratch notes').waitFor()
    await shot(a, '07-trash')
    await a.getByRole('button', { name: 'Actions for Scratch notes' }).click()
    await a.getByRole('menuitem', { name: 'Restore' }).click()
    await a.getByText('The trash is empty.').waitFor()
    await a.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Projects' }).click()
    await folder.getByRole('link', { name: 'Scratch notes' }).waitFor()

    await a.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Home' }).click()
    await a.getByRole('button', { name: 'Favorite Launch plan' }).click()
    await a.getByRole('button', { name: 'Favorite Launch plan', pressed: true }).waitFor()
    await a.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Favorites' }).click()
    await a.getByRole('list', { name: 'Favorites' }).getByRole('link', { name: 'Launch plan' }).waitFor()
    await a.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Recent' }).click()
    await a.getByRole('list', { name: 'Recent' }).getByRole('link', { name: 'Scratch notes' }).waitFor()
    await a.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Home' }).click()
    await a.getByRole('list', { name: 'Home' }).getByRole('link', { name: 'Projects' }).waitFor()
    await shot(a, '08-home')
  })

  await step('keyboard: menus and the toolbar work without a mouse', async () => {
    const focused = () => a.evaluate(() => document.activeElement?.getAttribute('aria-label') || document.activeElement?.textContent)
    await a.getByRole('button', { name: 'Actions for Launch plan' }).focus()
    await a.keyboard.press('Enter')
    await a.getByRole('menu', { name: 'Actions for Launch plan' }).waitFor()
    check((await focused()) === 'Open', `the first item has the focus (${await focused()})`)
    await a.keyboard.press('ArrowDown')
    check((await focused()).startsWith('Rename'), `ArrowDown moves to the next item (${await focused()})`)
    await a.keyboard.press('Escape')
    await a.getByRole('menu').waitFor({ state: 'detached' })
    check((await focused()) === 'Actions for Launch plan', `Escape gives the focus back (${await focused()})`)
    await a.keyboard.press('Shift+Tab')
    await a.keyboard.press('Enter') // the star: a favorite no more
    await a.getByRole('button', { name: 'Favorite Launch plan', pressed: false }).waitFor()
    await a.keyboard.press('Enter')
    await a.getByRole('button', { name: 'Favorite Launch plan', pressed: true }).waitFor()

    await a.getByRole('link', { name: 'Launch plan' }).focus()
    await a.keyboard.press('Enter')
    await a.waitForURL(`**/d/${docId}`)
    await a.getByRole('button', { name: 'Bold' }).focus()
    await a.keyboard.press('ArrowRight')
    check((await focused()) === 'Italic', `ArrowRight moves along the toolbar (${await focused()})`)
    await a.keyboard.press('End')
    check((await focused()) === 'Insert table', `End goes to the last tool (${await focused()})`)
  })

  await step('two users type into one document and see each other within a second', async () => {
    await a.goto(`/d/${docId}`)
    await b.goto(`/d/${docId}`)
    await syncState(a, 'saved')
    await syncState(b, 'saved')
    await waitText(b, 'Nothing acknowledged is lost.', 5000)

    await typeAtEnd(a, ' Alice was here.')
    let t0 = Date.now()
    await waitText(b, 'Alice was here.', 1000)
    timings.textAliceToBobMs = Date.now() - t0
    await typeAtEnd(b, ' Bob too.')
    t0 = Date.now()
    await waitText(a, 'Bob too.', 1000)
    timings.textBobToAliceMs = Date.now() - t0

    // Carets with names, and avatars of who is here.
    t0 = Date.now()
    await a.locator('.collaboration-carets__label', { hasText: bob.name }).waitFor({ timeout: 1000 })
    await b.locator('.collaboration-carets__label', { hasText: alice.name }).waitFor({ timeout: 1000 })
    timings.caretsMs = Date.now() - t0
    await a.getByRole('group', { name: `Also here: ${bob.name}` }).waitFor()
    await b.getByRole('group', { name: `Also here: ${alice.name}` }).waitFor()
    // A selection shows up too.
    await b.keyboard.press('Shift+Home')
    await a.locator('.collaboration-carets__selection').first().waitFor({ timeout: 1000 })
    await syncState(a, 'saved')
    await syncState(b, 'saved')
    await shot(a, '09-collaboration-alice')
    await shot(b, '10-collaboration-bob')
  })

  await step('a reload shows everything, fast', async () => {
    const before = await editorText(a)
    let t0 = Date.now()
    await b.reload()
    await waitText(b, 'Bob too.', 5000)
    timings.reloadOpenMs = Date.now() - t0
    check((await editorText(b)) === before, 'reloaded content equals the live content')
    // A browser with nothing cached opens it too.
    const fresh = await B.ctx.browser().newContext({ baseURL: base, storageState: await B.ctx.storageState() })
    const f = await fresh.newPage()
    watch(f, 'bob-fresh')
    t0 = Date.now()
    await f.goto(`/d/${docId}`)
    await waitText(f, 'Bob too.', 5000)
    timings.coldOpenMs = Date.now() - t0
    check((await editorText(f)) === before, 'content in a fresh browser')
    await fresh.close()
    pages.delete('bob-fresh')
  })

  let publicURL = ''
  await step('share: a viewer and a public link cannot type', async () => {
    await a.getByRole('button', { name: 'Share' }).click()
    const dialog = a.getByRole('dialog', { name: 'Share “Launch plan”' })
    await dialog.getByLabel('Person').selectOption({ label: `${carol.name} (${carol.email}) · guest` })
    await dialog.getByLabel('Role', { exact: true }).selectOption('viewer')
    await dialog.getByRole('button', { name: 'Share', exact: true }).click()
    await dialog.getByLabel(`Role of ${carol.name}`).waitFor()
    await dialog.getByRole('button', { name: 'Create public link' }).click()
    const linkField = dialog.getByLabel('New public link (shown once: copy it now)')
    await linkField.waitFor()
    publicURL = await linkField.inputValue()
    check(publicURL.startsWith(`${base}/p/${docId}#tdl_`), `public link ${publicURL}`)
    await shot(a, '11-share-dialog')
    await dialog.getByRole('button', { name: 'Close' }).click()

    const before = await editorText(a)
    await c.goto(`/d/${docId}`)
    await waitText(c, 'Bob too.', 5000)
    await syncState(c, 'readonly')
    check((await c.locator('.ProseMirror').getAttribute('contenteditable')) === 'false', 'viewer editor is not editable')
    check((await c.getByRole('toolbar', { name: 'Formatting' }).count()) === 0, 'no toolbar for a viewer')
    await c.locator('.ProseMirror').click()
    await c.keyboard.type('Carol was here')
    await c.keyboard.press('Enter')
    await shot(c, '12-viewer')

    const P = await newUser(browser, 'public')
    await P.page.goto(publicURL)
    await waitText(P.page, 'Bob too.', 5000)
    await syncState(P.page, 'readonly')
    check((await P.page.locator('.ProseMirror').getAttribute('contenteditable')) === 'false', 'public link editor is not editable')
    await P.page.locator('.ProseMirror').click()
    await P.page.keyboard.type('Anonymous was here')
    await shot(P.page, '13-public-link')
    // Neither reached the document.
    await a.waitForTimeout(500)
    const after = await editorText(a)
    check(after === before && !after.includes('Carol was here') && !after.includes('Anonymous'), 'read-only typing changed nothing')
    check(!(await editorText(c)).includes('Carol was here'), "the viewer's own page is unchanged")
    await P.ctx.close()
    pages.delete('public')
  })

  await step('offline: the indicator appears when the server stops; offline edits merge after restart', async () => {
    await syncState(a, 'saved')
    await syncState(b, 'saved')
    await server('stop')
    const t0 = Date.now()
    await syncState(a, 'offline', 5000)
    await syncState(b, 'offline', 5000)
    timings.offlineIndicatorMs = Date.now() - t0
    await typeAtEnd(a, ' Typed offline by Alice.')
    await typeAtEnd(b, ' Typed offline by Bob.')
    await a.getByText('Offline · edits kept on this device').waitFor()
    await shot(a, '14-offline')

    // Leaving with unsaved edits asks first.
    let asked = ''
    a.once('dialog', (d) => {
      asked = d.type()
      d.dismiss()
    })
    await a.close({ runBeforeUnload: true })
    await a.waitForTimeout(300)
    check(asked === 'beforeunload', `leaving with unsaved edits asked first (dialog: ${asked || 'none'})`)
    check(!a.isClosed(), 'the page stayed open')

    await server('start')
    const t1 = Date.now()
    await syncState(a, 'saved', 15000)
    await syncState(b, 'saved', 15000)
    timings.reconnectMs = Date.now() - t1
    await waitText(b, 'Typed offline by Alice.', 5000)
    await waitText(a, 'Typed offline by Bob.', 5000)
    check((await editorText(a)) === (await editorText(b)), 'both converge to the same text')
    await shot(b, '15-after-restart')
  })

  await step('offline edits kept in IndexedDB reach the server from a reopened tab', async () => {
    await server('stop')
    await syncState(b, 'offline', 5000)
    await typeAtEnd(b, ' Kept on the device.')
    await b.waitForTimeout(300) // y-indexeddb stores the update
    b.once('dialog', (d) => d.accept())
    await b.close({ runBeforeUnload: true })
    await server('start')
    const b2 = await B.ctx.newPage()
    watch(b2, 'bob-reopened')
    await b2.goto(`/d/${docId}`)
    await syncState(b2, 'saved', 15000)
    await waitText(a, 'Kept on the device.', 5000)
  })

  await step('narrow screens: the sidebar becomes a drawer', async () => {
    const M = await newUser(browser, 'mobile', { width: 390, height: 844 })
    await M.ctx.addCookies(await A.ctx.cookies())
    await M.page.goto('/')
    await M.page.getByRole('heading', { name: 'Home' }).waitFor()
    check(!(await M.page.getByRole('navigation', { name: 'Main' }).isVisible()), 'sidebar hidden')
    await M.page.getByRole('button', { name: 'Menu' }).click()
    await M.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Favorites' }).waitFor({ state: 'visible' })
    await shot(M.page, '16-mobile-drawer')
    await M.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Home' }).click()
    await M.page.goto(`/d/${docId}`)
    await waitText(M.page, 'Kept on the device.', 5000)
    await shot(M.page, '17-mobile-editor')
    await M.ctx.close()
    pages.delete('mobile')
  })

  await step('sign out forgets the offline copies', async () => {
    const userId = await a.evaluate(() => fetch('/api/v1/me').then((r) => r.json()).then((m) => m.user.id))
    const before = await a.evaluate(() => indexedDB.databases().then((d) => d.map((x) => x.name)))
    check(before.some((n) => n.startsWith(`tandem/${userId}/`)), `an offline copy exists (${before})`)
    await a.goto('/')
    await a.getByRole('button', { name: 'Sign out' }).click()
    await a.waitForURL('**/login')
    const after = await a.evaluate(() => indexedDB.databases().then((d) => d.map((x) => x.name)))
    check(!after.some((n) => n.startsWith(`tandem/${userId}/`)), `offline copies remain after sign-out: ${after}`)
    await shot(a, '18-signed-out')
  })

  check(problems.length === 0, `CSP violations or uncaught errors:\n${problems.join('\n')}`)
  ok = true
} catch (e) {
  if (problems.length) console.log(`also seen:\n${problems.join('\n')}`)
  console.log(`FAIL: ${e?.message ?? e}`)
} finally {
  writeFileSync(join(artifacts, 'timings.json'), JSON.stringify(timings, null, 2) + '\n')
  console.log(`timings: ${JSON.stringify(timings)}`)
  await browser.close().catch(() => {})
  stdin.close()
}
process.exit(ok ? 0 : 1)
