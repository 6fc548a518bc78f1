// Reference peer for the Go tests of package prosemirror: the real Tiptap
// schema, ProseMirror, y-prosemirror and yjs. It reads one JSON array of
// requests on stdin and writes one JSON array of results on stdout; each
// result is {ok: value} or {error: message}.
import { getSchema } from '@tiptap/core'
import { generateHTML, generateJSON } from '@tiptap/html'
import StarterKit from '@tiptap/starter-kit'
import TaskList from '@tiptap/extension-task-list'
import TaskItem from '@tiptap/extension-task-item'
import { Table, TableRow, TableHeader, TableCell } from '@tiptap/extension-table'
import Image from '@tiptap/extension-image'
import { Node } from '@tiptap/pm/model'
import * as Y from 'yjs'
import { prosemirrorJSONToYDoc, yXmlFragmentToProsemirrorJSON, yXmlFragmentToProseMirrorRootNode } from 'y-prosemirror'

// The extensions of Tandem's editor.
export const extensions = [StarterKit, TaskList, TaskItem, Table, TableRow, TableHeader, TableCell, Image]
export const schema = getSchema(extensions)

const b64 = (u8) => Buffer.from(u8).toString('base64')
const unb64 = (s) => new Uint8Array(Buffer.from(s, 'base64'))

const ops = {
  // The schema as Tiptap builds it.
  schema () {
    const nodes = Object.entries(schema.nodes).map(([name, t]) => ({
      name,
      content: t.spec.content ?? '',
      groups: (t.spec.group ?? '').split(' ').filter(Boolean),
      inline: t.isInline,
      attrs: Object.entries(t.attrs).map(([k, a]) => ({ name: k, default: a.hasDefault ? a.default : '<required>' }))
    }))
    const marks = Object.entries(schema.marks).map(([name, t]) => ({
      name,
      rank: t.rank,
      excludes: t.spec.excludes ?? null,
      attrs: Object.entries(t.attrs).map(([k, a]) => ({ name: k, default: a.hasDefault ? a.default : '<required>' }))
    }))
    return { nodes, marks }
  },
  // Node.fromJSON + check, returning the normalized JSON.
  check ({ doc }) {
    const node = Node.fromJSON(schema, doc)
    node.check()
    return node.toJSON()
  },
  generateHTML ({ doc }) { return generateHTML(doc, extensions) },
  generateJSON ({ html }) { return generateJSON(html, extensions) },
  // The Yjs update y-prosemirror writes for doc into fragment "default".
  toYjs ({ doc }) {
    return b64(Y.encodeStateAsUpdate(prosemirrorJSONToYDoc(schema, doc, 'default')))
  },
  // Applies updates in order and reads fragment "default" both as plain
  // JSON (yXmlFragmentToProsemirrorJSON) and as an editor does
  // (yXmlFragmentToProseMirrorRootNode, which drops what the schema refuses).
  fromYjs ({ updates }) {
    const ydoc = new Y.Doc()
    for (const u of updates) Y.applyUpdate(ydoc, unb64(u))
    const frag = ydoc.getXmlFragment('default')
    const json = yXmlFragmentToProsemirrorJSON(frag)
    let editor = null
    let editorError = null
    try {
      const root = yXmlFragmentToProseMirrorRootNode(frag, schema)
      try { root.check() } catch (e) { editorError = 'check: ' + e.message }
      editor = root.toJSON()
    } catch (e) { editorError = e.message }
    return { json, editor, editorError }
  },
  // A concurrent edit: after updates, inserts text at the start of the
  // first Y.XmlText of fragment "default" and returns only that change.
  insertText ({ updates, text }) {
    const ydoc = new Y.Doc()
    for (const u of updates) Y.applyUpdate(ydoc, unb64(u))
    const sv = Y.encodeStateVector(ydoc)
    const find = (t) => {
      for (const c of t.toArray()) {
        if (c instanceof Y.XmlText) return c
        if (c instanceof Y.XmlElement) { const f = find(c); if (f) return f }
      }
      return null
    }
    const x = find(ydoc.getXmlFragment('default'))
    if (!x) throw new Error('no text')
    x.insert(0, text)
    return b64(Y.encodeStateAsUpdate(ydoc, sv))
  },
  // Median milliseconds per call of the JS stack on one document, the
  // peer figures for the Go benchmarks.
  timings ({ doc, html }) {
    const median = (fn) => {
      for (let i = 0; i < 3; i++) fn()
      const times = []
      for (let i = 0; i < 15; i++) {
        const t0 = performance.now()
        fn()
        times.push(performance.now() - t0)
      }
      times.sort((a, b) => a - b)
      return Math.round(times[7] * 100) / 100
    }
    const ydoc = prosemirrorJSONToYDoc(schema, doc, 'default')
    return {
      fromJSON: median(() => Node.fromJSON(schema, doc).check()),
      generateHTML: median(() => generateHTML(doc, extensions)),
      generateJSON: median(() => generateJSON(html, extensions)),
      prosemirrorJSONToYDoc: median(() => prosemirrorJSONToYDoc(schema, doc, 'default')),
      yXmlFragmentToProseMirrorRootNode: median(() => yXmlFragmentToProseMirrorRootNode(ydoc.getXmlFragment('default'), schema))
    }
  },
  // The state of a document after updates, as one update.
  merge ({ updates }) {
    const ydoc = new Y.Doc()
    for (const u of updates) Y.applyUpdate(ydoc, unb64(u))
    return b64(Y.encodeStateAsUpdate(ydoc))
  }
}

let input = ''
process.stdin.setEncoding('utf8')
process.stdin.on('data', (d) => { input += d })
process.stdin.on('end', () => {
  const reqs = JSON.parse(input)
  const out = reqs.map((r) => {
    try {
      return { ok: ops[r.op](r) }
    } catch (e) {
      return { error: String(e && e.message ? e.message : e) }
    }
  })
  process.stdout.write(JSON.stringify(out))
})
