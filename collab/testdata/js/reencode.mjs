// Applies a Yjs update (base64 on stdin) to a fresh Y.Doc and prints the
// document's text and yjs's own encoding of its state, to compare with
// what the server stores.
import * as Y from 'yjs'

let input = ''
for await (const chunk of process.stdin) input += chunk
const doc = new Y.Doc()
Y.applyUpdate(doc, Buffer.from(input.trim(), 'base64'))
console.log(JSON.stringify({
  text: doc.getText('text').toString(),
  state: Buffer.from(Y.encodeStateAsUpdate(doc)).toString('base64')
}))
