package prosemirror

import (
	"errors"
	"strings"
	"testing"
)

// TestParseJSON checks validation against hand-written documents and
// compares acceptance with ProseMirror's Node.fromJSON(...).check() under
// Tiptap's schema. Where we are stricter than ProseMirror (attribute types
// and unknown attributes, which ProseMirror silently drops), the case says so.
func TestParseJSON(t *testing.T) {
	cases := []struct {
		json     string
		err      string // substring of our error; "" means valid
		stricter bool   // ProseMirror accepts it
	}{
		{`{"type":"doc","content":[{"type":"paragraph"}]}`, "", false},
		{`{"type":"doc","content":[{"type":"paragraph","content":[{"type":"text","text":"a","marks":[{"type":"italic"},{"type":"bold"}]}]}]}`, "", false},
		{`{"type":"doc","content":[{"type":"heading","attrs":{"level":3},"content":[{"type":"text","text":"h"},{"type":"hardBreak"},{"type":"text","text":"x"}]}]}`, "", false},
		{`{"type":"doc","content":[{"type":"table","content":[{"type":"tableRow","content":[{"type":"tableHeader","attrs":{"colspan":2,"colwidth":[100,null]},"content":[{"type":"paragraph"}]}]}]}]}`, "", false},
		{`{"type":"doc","content":[{"type":"taskList","content":[{"type":"taskItem","attrs":{"checked":true},"content":[{"type":"paragraph"}]}]}]}`, "", false},
		{`{"type":"doc","content":[{"type":"image","attrs":{"src":"https://x/y.png","width":10,"height":"20px"}}]}`, "", false},
		{`{"type":"doc"}`, "doc cannot be empty", false},
		{`{"type":"paragraph"}`, `root node must be of type "doc"`, false},
		{`{"type":"doc","content":[{"type":"video"}]}`, `unknown node type "video"`, false},
		{`{"type":"doc","content":[{"type":"text","text":"loose"}]}`, "doc cannot contain text", false},
		{`{"type":"doc","content":[{"type":"paragraph","content":[{"type":"paragraph"}]}]}`, "paragraph cannot contain paragraph", false},
		{`{"type":"doc","content":[{"type":"bulletList","content":[{"type":"listItem","content":[{"type":"bulletList","content":[{"type":"listItem","content":[{"type":"paragraph"}]}]}]}]}]}`, "listItem cannot contain bulletList", false},
		{`{"type":"doc","content":[{"type":"paragraph","content":[{"type":"text","text":""}]}]}`, "empty text", false},
		{`{"type":"doc","content":[{"type":"paragraph","content":[{"type":"text","text":"a","marks":[{"type":"code"},{"type":"bold"}]}]}]}`, "cannot be combined", false},
		{`{"type":"doc","content":[{"type":"paragraph","content":[{"type":"text","text":"a","marks":[{"type":"bold"},{"type":"bold"}]}]}]}`, "cannot be combined", false},
		{`{"type":"doc","content":[{"type":"paragraph","content":[{"type":"text","text":"a","marks":[{"type":"sparkle"}]}]}]}`, `unknown mark type "sparkle"`, false},
		{`{"type":"doc","content":[{"type":"codeBlock","content":[{"type":"text","text":"a","marks":[{"type":"bold"}]}]}]}`, "mark bold is not allowed in codeBlock", false},
		{`{"type":"doc","content":[{"type":"paragraph","marks":[{"type":"bold"}]}]}`, "block node paragraph cannot have marks", false},
		{`{"type":"doc","content":[{"type":"horizontalRule","content":[{"type":"paragraph"}]}]}`, "cannot have content", false},
		{`{"type":"doc","content":[{"type":"heading","attrs":{"level":9}}]}`, "attrs.level", true},
		{`{"type":"doc","content":[{"type":"heading","attrs":{"level":"2"}}]}`, "attrs.level", true},
		{`{"type":"doc","content":[{"type":"paragraph","attrs":{"textAlign":"center"}}]}`, `no attribute "textAlign"`, true},
		{`{"type":"doc","content":[{"type":"taskList","content":[{"type":"taskItem","attrs":{"checked":"yes"},"content":[{"type":"paragraph"}]}]}]}`, "attrs.checked", true},
		{`{"type":"doc","content":[{"type":"table","content":[{"type":"tableRow","content":[{"type":"tableCell","attrs":{"colspan":100000},"content":[{"type":"paragraph"}]}]}]}]}`, "attrs.colspan", true},
		{`{"type":"doc","content":[{"type":"codeBlock","attrs":{"language":"x\" onload=\"y"}}]}`, "attrs.language", true},
		{`{"type":"doc","content":[{"type":"paragraph","content":[{"type":"text","text":"a","marks":[{"type":"link","attrs":{"href":5}}]}]}]}`, "attrs.href", true},
		{`{"type":"doc","content":[{"type":"paragraph","extra":1}]}`, `unknown key "extra"`, true},
		{`{"type":"doc","content":{"type":"paragraph"}}`, "content must be an array", false},
		{`[1,2]`, "must be a JSON object", false},
		{`{"type":"doc",`, "malformed JSON", false},
	}
	var reqs []peerRequest
	for _, c := range cases {
		var v any
		if err := jsonUnmarshal(c.json, &v); err == nil {
			reqs = append(reqs, peerRequest{"op": "check", "doc": v})
		} else {
			reqs = append(reqs, peerRequest{"op": "check", "doc": nil})
		}
	}
	res := runPeer(t, reqs)
	for i, c := range cases {
		_, err := ParseJSON([]byte(c.json), Limits{})
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%s: %v", c.json, err)
		case c.err != "" && err == nil:
			t.Errorf("%s: accepted, want error %q", c.json, c.err)
		case c.err != "" && !strings.Contains(err.Error(), c.err):
			t.Errorf("%s: error %q, want it to mention %q", c.json, err, c.err)
		case c.err != "" && !errors.Is(err, ErrInvalid):
			t.Errorf("%s: error %v does not wrap ErrInvalid", c.json, err)
		}
		pmAccepts := res[i].Error == ""
		if c.json == `{"type":"paragraph"}` {
			continue // a valid node, but not a document
		}
		if want := c.err == "" || c.stricter; pmAccepts != want {
			t.Errorf("%s: ProseMirror accepts=%v (%s), want %v", c.json, pmAccepts, res[i].Error, want)
		}
	}
}

func TestLimits(t *testing.T) {
	deep := strings.Repeat(`{"type":"blockquote","content":[`, 150) + `{"type":"paragraph"}` + strings.Repeat(`]}`, 150)
	_, err := ParseJSON([]byte(`{"type":"doc","content":[`+deep+`]}`), Limits{})
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("deep JSON: %v, want ErrTooLarge", err)
	}
	_, err = ParseJSON([]byte(strings.Repeat("[", 1<<20)), Limits{})
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("deep arrays: %v, want ErrTooLarge", err)
	}
	many := `{"type":"doc","content":[` + strings.Repeat(`{"type":"paragraph"},`, 100) + `{"type":"paragraph"}]}`
	if _, err := ParseJSON([]byte(many), Limits{MaxNodes: 50}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("many nodes: %v, want ErrTooLarge", err)
	}
	if _, err := ParseJSON([]byte(many), Limits{MaxInputBytes: 100}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("large input: %v, want ErrTooLarge", err)
	}
	if _, err := ParseMarkdown([]byte(strings.Repeat(">", 10000)+" x"), Limits{}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("deep Markdown: %v, want ErrTooLarge", err)
	}
	if _, err := ParseMarkdown([]byte(strings.Repeat("- ", 10000)+"x"), Limits{}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("deep Markdown list: %v, want ErrTooLarge", err)
	}
	if _, err := ParseHTML([]byte(strings.Repeat("<div>", 100000)), Limits{}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("deep HTML: %v, want ErrTooLarge", err)
	}
	if _, err := ParseHTML([]byte(strings.Repeat("<blockquote>", 300)+"x"), Limits{}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("deep HTML blocks: %v, want ErrTooLarge", err)
	}
	// Link reference definitions expand: many uses of one long URL.
	md := "[a]: https://example.com/" + strings.Repeat("x", 100000) + "\n\n" + strings.Repeat("[a] ", 2000)
	if _, err := ParseMarkdown([]byte(md), Limits{MaxTextBytes: 1 << 20}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("expanding Markdown: %v, want ErrTooLarge", err)
	}
}
