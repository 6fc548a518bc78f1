// A real y-websocket client on a document that the Go test edits over the
// REST content API: it syncs, types a paragraph of its own (as a browser
// would), then waits until the editor's fragment shows each REST edit.
// It reuses the pinned clients of package collab (collab/testdata/js, its
// package-lock.json), whose directory it is given.
// usage: node content_live.mjs '{"clients":"/abs/collab/testdata/js","url":"ws://h/collab","doc":"id","token":"t","own":"x","want1":["a","b"],"want2":"c"}'
// It prints SYNCED, then STEP1 <text>, then DONE <text>, one line each.
import { pathToFileURL } from 'node:url'

const cfg = JSON.parse(process.argv[2])
const { client, waitFor, tiptapParagraph, Y } = await import(pathToFileURL(cfg.clients + '/clients.mjs').href)

// text is the fragment's text as the editor shows it: blocks on lines.
function text (frag) {
  const inline = (n) => n instanceof Y.XmlText
    ? n.toDelta().map((d) => typeof d.insert === 'string' ? d.insert : '').join('')
    : n.toArray().map(inline).join('')
  return frag.toArray().map(inline).join('\n')
}

const c = client('yws', cfg.url, cfg.doc, cfg.token)
await waitFor('sync', () => c.synced(), 20000)
const frag = c.ydoc.getXmlFragment('default')
tiptapParagraph(c.ydoc, cfg.own, false)
console.log('SYNCED')
await waitFor('the appended content', () => cfg.want1.every((w) => text(frag).includes(w)), 10000)
console.log('STEP1 ' + JSON.stringify(text(frag)))
await waitFor('the replaced content', () => text(frag) === cfg.want2, 10000)
console.log('DONE ' + JSON.stringify(text(frag)))
c.destroy()
process.exit(0)
