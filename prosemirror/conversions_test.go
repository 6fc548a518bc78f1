package prosemirror

import (
	"strings"
	"testing"
)

func TestParseMarkdown(t *testing.T) {
	cases := []struct{ md, want string }{
		{"# Title\n\nSome *em* **strong** ~~gone~~ `code` <u>under</u> text.",
			`{"type":"doc","content":[{"type":"heading","attrs":{"level":1},"content":[{"type":"text","text":"Title"}]},{"type":"paragraph","content":[{"type":"text","text":"Some "},{"type":"text","marks":[{"type":"italic"}],"text":"em"},{"type":"text","text":" "},{"type":"text","marks":[{"type":"bold"}],"text":"strong"},{"type":"text","text":" "},{"type":"text","marks":[{"type":"strike"}],"text":"gone"},{"type":"text","text":" "},{"type":"text","marks":[{"type":"code"}],"text":"code"},{"type":"text","text":" "},{"type":"text","marks":[{"type":"underline"}],"text":"under"},{"type":"text","text":" text."}]}]}`},
		{"- [ ] todo\n- [x] done\n",
			`{"type":"doc","content":[{"type":"taskList","content":[{"type":"taskItem","attrs":{"checked":false},"content":[{"type":"paragraph","content":[{"type":"text","text":"todo"}]}]},{"type":"taskItem","attrs":{"checked":true},"content":[{"type":"paragraph","content":[{"type":"text","text":"done"}]}]}]}]}`},
		{"3. three\n4. four\n\n* a\n  * nested\n",
			`{"type":"doc","content":[{"type":"orderedList","attrs":{"start":3,"type":null},"content":[{"type":"listItem","content":[{"type":"paragraph","content":[{"type":"text","text":"three"}]}]},{"type":"listItem","content":[{"type":"paragraph","content":[{"type":"text","text":"four"}]}]}]},{"type":"bulletList","content":[{"type":"listItem","content":[{"type":"paragraph","content":[{"type":"text","text":"a"}]},{"type":"bulletList","content":[{"type":"listItem","content":[{"type":"paragraph","content":[{"type":"text","text":"nested"}]}]}]}]}]}]}`},
		{"| A | B |\n|:-|:-:|\n| 1 | **2** |\n",
			`{"type":"doc","content":[{"type":"table","content":[{"type":"tableRow","content":[{"type":"tableHeader","attrs":{"colspan":1,"rowspan":1,"colwidth":null,"align":"left"},"content":[{"type":"paragraph","content":[{"type":"text","text":"A"}]}]},{"type":"tableHeader","attrs":{"colspan":1,"rowspan":1,"colwidth":null,"align":"center"},"content":[{"type":"paragraph","content":[{"type":"text","text":"B"}]}]}]},{"type":"tableRow","content":[{"type":"tableCell","attrs":{"colspan":1,"rowspan":1,"colwidth":null,"align":"left"},"content":[{"type":"paragraph","content":[{"type":"text","text":"1"}]}]},{"type":"tableCell","attrs":{"colspan":1,"rowspan":1,"colwidth":null,"align":"center"},"content":[{"type":"paragraph","content":[{"type":"text","marks":[{"type":"bold"}],"text":"2"}]}]}]}]}]}`},
		{"```go\nx := 1\n```\n\n    indented\n\n> quote\n\n---\n",
			`{"type":"doc","content":[{"type":"codeBlock","attrs":{"language":"go"},"content":[{"type":"text","text":"x := 1"}]},{"type":"codeBlock","attrs":{"language":null},"content":[{"type":"text","text":"indented"}]},{"type":"blockquote","content":[{"type":"paragraph","content":[{"type":"text","text":"quote"}]}]},{"type":"horizontalRule"}]}`},
		{"[site](https://example.com \"T\") [bad](javascript:alert(1)) <https://auto.example>\n\n![pic](/img.png)",
			`{"type":"doc","content":[{"type":"paragraph","content":[{"type":"text","marks":[{"type":"link","attrs":{"href":"https://example.com","target":"_blank","rel":"noopener noreferrer nofollow","class":null,"title":"T"}}],"text":"site"},{"type":"text","text":" bad "},{"type":"text","marks":[{"type":"link","attrs":{"href":"https://auto.example","target":"_blank","rel":"noopener noreferrer nofollow","class":null,"title":null}}],"text":"https://auto.example"}]},{"type":"image","attrs":{"src":"/img.png","alt":"pic","title":null,"width":null,"height":null}}]}`},
		{"line one\nline two  \nbroken\n\n<script>alert(1)</script>\n\n<p onclick=\"x()\">html <b>block</b></p>",
			`{"type":"doc","content":[{"type":"paragraph","content":[{"type":"text","text":"line one line two"},{"type":"hardBreak"},{"type":"text","text":"broken"}]},{"type":"paragraph","content":[{"type":"text","text":"html "},{"type":"text","marks":[{"type":"bold"}],"text":"block"}]}]}`},
		{"", `{"type":"doc","content":[{"type":"paragraph"}]}`},
		{"- # heading item\n", `{"type":"doc","content":[{"type":"bulletList","content":[{"type":"listItem","content":[{"type":"paragraph"},{"type":"heading","attrs":{"level":1},"content":[{"type":"text","text":"heading item"}]}]}]}]}`},
	}
	for _, c := range cases {
		doc, err := ParseMarkdown([]byte(c.md), Limits{})
		if err != nil {
			t.Errorf("%q: %v", c.md, err)
			continue
		}
		if got := mustJSON(t, doc); got != c.want {
			t.Errorf("%q:\n got %s\nwant %s", c.md, got, c.want)
		}
		if err := Validate(doc, Limits{}); err != nil {
			t.Errorf("%q: result does not validate: %v", c.md, err)
		}
	}
}

func TestToMarkdown(t *testing.T) {
	doc, err := ParseMarkdown([]byte("# Title\n\nSome *em* and **strong** with `code`.\n\n- [ ] task\n\n1. one\n2. two\n\n| A | B |\n| --- | ---: |\n| x | y |\n"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := "# Title\n\nSome *em* and **strong** with `code`.\n\n- [ ] task\n\n1. one\n2. two\n\n| A | B |\n| --- | ---: |\n| x | y |\n"
	if got := ToMarkdown(doc); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// Unsafe links lose the link; unsafe images are left out.
	bad := docOf(Node{Type: "paragraph", Content: []Node{{Type: "text", Text: "x", Marks: []Mark{{Type: "link", Attrs: map[string]any{"href": "javascript:alert(1)"}}}}}},
		Node{Type: "image", Attrs: map[string]any{"src": "javascript:alert(1)"}})
	if got := ToMarkdown(bad); got != "x\n" {
		t.Errorf("unsafe link and image: %q", got)
	}
}

func TestToHTMLIsSafe(t *testing.T) {
	doc := docOf(
		Node{Type: "paragraph", Content: []Node{
			{Type: "text", Text: `<script>alert("x")</script>`},
			{Type: "text", Text: "link", Marks: []Mark{{Type: "link", Attrs: map[string]any{"href": " javascript:alert(1)", "title": `"><img src=x onerror=alert(1)>`}}}},
		}},
		Node{Type: "image", Attrs: map[string]any{"src": "data:text/html,<script>"}},
		Node{Type: "codeBlock", Attrs: map[string]any{"language": `x"><script>`}, Content: []Node{{Type: "text", Text: "</code></pre><script>"}}},
		Node{Type: "unknownWidget", Content: []Node{{Type: "text", Text: "inner"}}},
	)
	got := ToHTML(doc)
	for _, bad := range []string{"<script", "javascript:", "data:", `"><img`} {
		if strings.Contains(got, bad) {
			t.Errorf("output contains %q: %s", bad, got)
		}
	}
	if !strings.Contains(got, "inner") {
		t.Errorf("unknown node's content lost: %s", got)
	}
}

func TestToText(t *testing.T) {
	doc, err := ParseMarkdown([]byte("# Title\n\nPara with  \nbreak.\n\n- one\n- two\n  - nested\n\n| A | B |\n|---|---|\n| 1 | 2 |\n\n```\ncode\n  block\n```\n\n---\n\n![alt text](/i.png)\n\n> quoted\n"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := "Title\n\nPara with\nbreak.\n\none\ntwo\nnested\n\nA\tB\n1\t2\n\ncode\n  block\n\nalt text\n\nquoted"
	if got := ToText(doc); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}
