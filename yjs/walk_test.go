package yjs

import (
	"encoding/json"
	"testing"
)

// TestWalkProseMirror reads a document built by yjs the way y-prosemirror
// stores ProseMirror content.
func TestWalkProseMirror(t *testing.T) {
	p := yjsPeer(t)
	var res struct {
		Update string `json:"update"`
		XML    string `json:"xml"`
	}
	if err := p.call("pmdoc", nil, &res); err != nil {
		t.Fatal(err)
	}
	d := NewDoc()
	if err := d.ApplyUpdate(unb64(t, res.Update), nil); err != nil {
		t.Fatal(err)
	}
	frag := d.GetXmlFragment("prosemirror")
	if frag.String() != res.XML {
		t.Errorf("toString differs:\n go %s\nyjs %s", frag.String(), res.XML)
	}
	nodes := frag.Nodes()
	got, _ := json.Marshal(nodes)
	want := `[{"Kind":1,"Name":"heading","Attributes":{"level":2},"Children":[{"Kind":2,"Name":"","Attributes":null,"Children":null,"Runs":[{"Text":"Title","Embed":null,"Marks":null}]}],"Runs":null},` +
		`{"Kind":1,"Name":"paragraph","Attributes":{},"Children":[{"Kind":2,"Name":"","Attributes":null,"Children":null,"Runs":[{"Text":"Hello ","Embed":null,"Marks":null},{"Text":"bold","Embed":null,"Marks":{"strong":{}}},{"Text":" and ","Embed":null,"Marks":null},{"Text":"link","Embed":null,"Marks":{"em":{},"link":{"href":"https://x.test"}}}]},` +
		`{"Kind":1,"Name":"image","Attributes":{"src":"a.png"},"Children":null,"Runs":null},` +
		`{"Kind":2,"Name":"","Attributes":null,"Children":null,"Runs":[{"Text":" after","Embed":null,"Marks":null}]}],"Runs":null},` +
		`{"Kind":1,"Name":"bullet_list","Attributes":{},"Children":[{"Kind":1,"Name":"list_item","Attributes":{},"Children":[{"Kind":1,"Name":"paragraph","Attributes":{},"Children":[{"Kind":2,"Name":"","Attributes":null,"Children":null,"Runs":[{"Text":"item","Embed":null,"Marks":null}]}],"Runs":null}],"Runs":null}],"Runs":null}]`
	if string(got) != want {
		t.Errorf("tree:\n got %s\nwant %s", got, want)
	}
	if pt := PlainText(nodes); pt != "Title\nHello bold and link after\nitem" {
		t.Errorf("plain text %q", pt)
	}
	var names []string
	frag.Walk(func(n *Node, depth int) bool {
		if n.Kind == ElementNode {
			names = append(names, n.Name)
		}
		return true
	})
	if b, _ := json.Marshal(names); string(b) != `["heading","paragraph","image","bullet_list","list_item","paragraph"]` {
		t.Errorf("walk order %s", b)
	}
}
