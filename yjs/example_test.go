package yjs_test

import (
	"fmt"

	"github.com/tandem-docs/tandem/yjs"
)

// Two documents kept in sync by forwarding each transaction's update.
func Example() {
	a := yjs.NewDoc(yjs.WithClientID(1))
	b := yjs.NewDoc(yjs.WithClientID(2))
	a.OnUpdate(func(update []byte, origin any) {
		if origin != "b" {
			_ = b.ApplyUpdate(update, "a")
		}
	})
	b.OnUpdate(func(update []byte, origin any) {
		if origin != "a" {
			_ = a.ApplyUpdate(update, "b")
		}
	})
	_ = a.GetText("content").Insert(0, "Hello")
	_ = b.GetText("content").Insert(5, ", world")
	_ = a.GetText("content").Format(0, 5, yjs.Attributes{"bold": true})
	fmt.Println(b.GetText("content").String())
	fmt.Println(b.GetText("content").ToDelta())
	// Output:
	// Hello, world
	// [{Hello 0 0 map[bold:true]} {, world 0 0 map[]}]
}

// The y-protocols sync handshake between a server and a client.
func Example_sync() {
	server := yjs.NewDoc(yjs.WithClientID(1))
	_ = server.GetMap("meta").Set("title", "Plan")
	client := yjs.NewDoc(yjs.WithClientID(2))

	// The client sends step 1 with its state vector...
	msg := yjs.AppendSyncStep1(nil, client.EncodeStateVector())
	typ, sv, _, _ := yjs.ReadSyncMessage(msg)
	// ...the server answers step 2 with what the client lacks.
	update, _ := server.EncodeStateAsUpdate(sv)
	reply := yjs.AppendSyncStep2(nil, update)
	_, payload, _, _ := yjs.ReadSyncMessage(reply)
	_ = client.ApplyUpdate(payload, "server")

	title, _ := client.GetMap("meta").Get("title")
	fmt.Println(typ == yjs.MsgSyncStep1, title)
	// Output: true Plan
}
