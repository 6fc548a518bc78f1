package prosemirror

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// The fuzz targets check that the decoders of untrusted input never panic,
// stay within their limits, and produce documents that validate and that
// every renderer accepts. Small limits keep each run cheap.

var fuzzLimits = Limits{MaxInputBytes: 64 << 10, MaxNodes: 5000, MaxDepth: 40, MaxTextBytes: 256 << 10}

// hangGuard crashes the fuzz worker, saving the input, if one input takes
// far longer than any should: bounded time is part of the contract.
func hangGuard(src []byte) (stop func()) {
	tm := time.AfterFunc(10*time.Second, func() { panic(fmt.Sprintf("input took over 10s: %q", src)) })
	return func() { tm.Stop() }
}

func checkFuzzResult(t *testing.T, doc Node, err error) {
	if err != nil {
		if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrTooLarge) {
			t.Fatalf("error wraps neither ErrInvalid nor ErrTooLarge: %v", err)
		}
		return
	}
	if err := Validate(doc, fuzzLimits); err != nil {
		t.Fatalf("result does not validate: %v\n%s", err, mustJSON(t, doc))
	}
	ToHTML(doc)
	ToText(doc)
	md := ToMarkdown(doc)
	if _, err := ParseMarkdown([]byte(md), Limits{}); err != nil {
		t.Fatalf("our Markdown does not parse: %v\n%s", err, md)
	}
	if _, err := ParseHTML([]byte(ToHTML(doc)), Limits{}); err != nil {
		t.Fatalf("our HTML does not parse: %v", err)
	}
}

func FuzzParseMarkdown(f *testing.F) {
	for _, s := range []string{
		"# T\n\n*a* **b** ~~c~~ `d` <u>e</u>\n\n- [ ] x\n- [x] y\n\n1. a\n2. b\n",
		"| a | b |\n|:-|-:|\n| 1 | 2 |\n", "```go\nx\n```\n\n> q\n\n---\n", "[l](https://x \"t\") ![i](/a.png) <https://a> www.b.com c@d.e",
		"<table><tr><td>x</td></tr></table>\n\n<p></p>\n", "- a\n-\n  - b\n", "**a *b***", "\\\\\\\na", "&#0; &amp; &#x1F600;",
		"[a]: /u\n\n[a] [b][a]", "- # h\n", ">>> deep\n", "<u>**x</u>**", "1) a\n1. b\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		defer hangGuard(src)()
		doc, err := ParseMarkdown(src, fuzzLimits)
		checkFuzzResult(t, doc, err)
	})
}

func FuzzParseHTML(f *testing.F) {
	for _, s := range htmlSamples {
		f.Add([]byte(s))
	}
	f.Add([]byte(`<table><tr><td colspan=3 rowspan=2 colwidth="1,2,x"><ul><li>a</ul></td></tr></table>`))
	f.Add([]byte(`<ol start=-5 type=a><li><pre><code class="language-go">x</code></pre></ol><img src=/a width=10 height=9999999>`))
	f.Add([]byte(`<a href="java&#x09;script:x">y</a><svg><style>p</style></svg><template><p>t</p></template>`))
	f.Fuzz(func(t *testing.T, src []byte) {
		defer hangGuard(src)()
		doc, err := ParseHTML(src, fuzzLimits)
		checkFuzzResult(t, doc, err)
	})
}

func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{
		`{"type":"doc","content":[{"type":"paragraph","content":[{"type":"text","text":"a","marks":[{"type":"bold"},{"type":"link","attrs":{"href":"/x"}}]}]}]}`,
		`{"type":"doc","content":[{"type":"table","content":[{"type":"tableRow","content":[{"type":"tableCell","attrs":{"colwidth":[1,null]},"content":[{"type":"paragraph"}]}]}]}]}`,
		`{"type":"doc","content":[{"type":"taskList","content":[{"type":"taskItem","attrs":{"checked":true},"content":[{"type":"paragraph"}]}]}]}`,
		`{"type":"doc","content":[{"type":"codeBlock","attrs":{"language":"go"},"content":[{"type":"text","text":"x\n"}]},{"type":"image","attrs":{"src":"/i","width":"10"}}]}`,
		`{"type":"doc","content":[{"type":"orderedList","attrs":{"start":0},"content":[{"type":"listItem","content":[{"type":"paragraph"},{"type":"blockquote","content":[{"type":"heading","attrs":{"level":6}}]}]}]}]}`,
		`[[[[[[`, `{"type":"doc","content":[{"type":"text","text":""}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		defer hangGuard(src)()
		doc, err := ParseJSON(src, fuzzLimits)
		checkFuzzResult(t, doc, err)
		if err == nil {
			// Valid documents survive the Yjs mapping unchanged.
			checkYjsRoundTrip(t, doc)
		}
	})
}
