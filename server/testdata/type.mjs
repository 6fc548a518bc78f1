// A real y-websocket client that types a paragraph into each of several
// documents, as a browser would, and stays connected until its standard
// input closes (the Go test decides when it has seen the edits stored).
// It reuses the pinned clients of package collab (collab/testdata/js).
// usage: node type.mjs '{"clients":"/abs/collab/testdata/js","url":"ws://h/collab","docs":["id"],"token":"t","text":"x"}'
// It prints TYPED once it typed into every document.
import { pathToFileURL } from 'node:url'

const cfg = JSON.parse(process.argv[2])
const { client, waitFor, tiptapParagraph } = await import(pathToFileURL(cfg.clients + '/clients.mjs').href)

const cs = cfg.docs.map((doc) => client('yws', cfg.url, doc, cfg.token))
for (const c of cs) {
  await waitFor('sync of ' + c.doc, () => c.synced(), 20000)
  tiptapParagraph(c.ydoc, cfg.text, false)
}
console.log('TYPED')
process.stdin.resume()
process.stdin.on('end', () => {
  for (const c of cs) c.destroy()
  process.exit(0)
})
