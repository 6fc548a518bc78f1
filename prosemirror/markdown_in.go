package prosemirror

import (
	"bytes"
	"fmt"
	stdhtml "html"
	"regexp"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"golang.org/x/net/html"
)

// ParseMarkdown converts untrusted GitHub Flavored Markdown into a
// document: paragraphs, headings, block quotes, bullet, ordered and task
// lists, fenced and indented code blocks (with their language), thematic
// breaks, tables (with column alignment), emphasis, strong emphasis,
// strikethrough, inline code, links, autolinks and images. Inline HTML
// tags <u>, <strong>/<b>, <em>/<i>, <s>/<del>/<strike> and <br> give
// marks and hard breaks, as ToMarkdown writes them; HTML blocks are read
// with [ParseHTML]'s rules; other inline HTML is dropped. A soft line
// break becomes a space. Links and images with unsafe URLs lose the link
// or are dropped as in [ParseHTML].
func ParseMarkdown(src []byte, lim Limits) (Node, error) {
	lim = lim.withDefaults()
	if err := lim.checkInput(len(src), "Markdown"); err != nil {
		return Node{}, err
	}
	if err := checkMarkdownNesting(src, lim.MaxDepth); err != nil {
		return Node{}, err
	}
	root := markdown.Parser().Parse(text.NewReader(src))
	c := &mdConverter{src: src, budget: &budget{lim: lim}, lim: lim}
	content := c.blocks(root, 1)
	if c.err != nil {
		return Node{}, c.err
	}
	return repair(Node{Type: "doc", Content: content}, lim)
}

var markdown = goldmark.New(
	goldmark.WithExtensions(extension.GFM),
	goldmark.WithParserOptions(parser.WithAttribute()),
)

// checkMarkdownNesting refuses input whose lines open more containers
// (block quotes, list items) than MaxDepth allows, before the parser
// builds a tree that deep.
func checkMarkdownNesting(src []byte, maxDepth int) error {
	limit := 2*maxDepth + 8
	for len(src) > 0 {
		line := src
		if i := bytes.IndexByte(src, '\n'); i >= 0 {
			line, src = src[:i], src[i+1:]
		} else {
			src = nil
		}
		markers := 0
		for i := 0; i < len(line); i++ {
			switch c := line[i]; {
			case c == ' ' || c == '\t':
			case c == '>':
				markers++
			case (c == '-' || c == '*' || c == '+') && i+1 < len(line) && (line[i+1] == ' ' || line[i+1] == '\t'):
				markers++
			case c >= '0' && c <= '9':
				j := i
				for j < len(line) && line[j] >= '0' && line[j] <= '9' {
					j++
				}
				if j < len(line) && (line[j] == '.' || line[j] == ')') {
					markers++
					i = j
					continue
				}
				i = len(line)
			default:
				i = len(line)
			}
		}
		if markers > limit {
			return &Error{Msg: fmt.Sprintf("Markdown nested deeper than %d levels", maxDepth), TooLarge: true}
		}
	}
	return nil
}

type mdConverter struct {
	src    []byte
	budget *budget
	lim    Limits
	err    error
	// htmlMarks counts inline HTML tags opened and not yet closed, per mark.
	htmlMarks map[string]int
}

func (c *mdConverter) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

func (c *mdConverter) tooDeep(depth int) bool {
	if depth > c.lim.MaxDepth {
		c.fail(&Error{Msg: fmt.Sprintf("Markdown nested deeper than %d levels", c.lim.MaxDepth), TooLarge: true})
		return true
	}
	return false
}

// blocks converts the block children of n.
func (c *mdConverter) blocks(n ast.Node, depth int) []Node {
	var out []Node
	for ch := n.FirstChild(); ch != nil && c.err == nil; ch = ch.NextSibling() {
		out = append(out, c.block(ch, depth)...)
	}
	return out
}

func (c *mdConverter) node(n Node) Node {
	if err := c.budget.node(); err != nil {
		c.fail(err)
	}
	return n
}

func (c *mdConverter) block(n ast.Node, depth int) []Node {
	if c.tooDeep(depth) {
		return nil
	}
	switch n := n.(type) {
	case *ast.Paragraph:
		return c.textblock(Node{Type: "paragraph"}, n, depth)
	case *ast.TextBlock:
		return c.textblock(Node{Type: "paragraph"}, n, depth)
	case *ast.Heading:
		return c.textblock(Node{Type: "heading", Attrs: map[string]any{"level": float64(n.Level)}}, n, depth)
	case *ast.ThematicBreak:
		return []Node{c.node(Node{Type: "horizontalRule"})}
	case *ast.CodeBlock:
		return []Node{c.codeBlock(n, nil)}
	case *ast.FencedCodeBlock:
		var lang any
		if l := n.Language(c.src); len(l) > 0 {
			lang = unescapeMarkdown(string(l))
		}
		return []Node{c.codeBlock(n, lang)}
	case *ast.Blockquote:
		return []Node{c.node(Node{Type: "blockquote", Content: c.blocks(n, depth+1)})}
	case *ast.List:
		return []Node{c.list(n, depth)}
	case *ast.HTMLBlock:
		var b bytes.Buffer
		lines := n.Lines()
		for i := 0; i < lines.Len(); i++ {
			seg := lines.At(i)
			b.Write(seg.Value(c.src))
		}
		if n.HasClosure() {
			b.Write(n.ClosureLine.Value(c.src))
		}
		body, err := parseHTMLBody(b.Bytes())
		if err != nil {
			c.fail(err)
			return nil
		}
		doc, err := parseDOM(body, c.lim)
		if err != nil {
			c.fail(err)
			return nil
		}
		if err := c.budget.text(len(doc.TextContent())); err != nil {
			c.fail(err)
		}
		// An HTML block with nothing ProseMirror keeps (a comment, a
		// script) parses to the one empty paragraph a doc needs; leave it
		// out unless the HTML has that paragraph (ToMarkdown writes empty
		// paragraphs as <p></p>).
		if len(doc.Content) == 1 && doc.Content[0].Type == "paragraph" && len(doc.Content[0].Content) == 0 &&
			querySelector(body, func(n *html.Node) bool { return n.Data == "p" }) == nil {
			return nil
		}
		return doc.Content
	case *east.Table:
		return []Node{c.table(n, depth)}
	case *ast.LinkReferenceDefinition:
		return nil
	}
	// Unknown block: keep its block children.
	return c.blocks(n, depth+1)
}

func (c *mdConverter) codeBlock(n ast.Node, lang any) Node {
	var b strings.Builder
	lines := n.Lines()
	for i := 0; i < lines.Len(); i++ {
		seg := lines.At(i)
		b.Write(seg.Value(c.src))
	}
	s := strings.TrimSuffix(b.String(), "\n")
	if err := c.budget.text(len(s)); err != nil {
		c.fail(err)
	}
	node := Node{Type: "codeBlock", Attrs: map[string]any{"language": lang}}
	if s != "" {
		node.Content = []Node{{Type: "text", Text: s}}
	}
	return c.node(node)
}

func (c *mdConverter) list(n *ast.List, depth int) Node {
	// A list whose items all start with a task checkbox is a task list.
	task := n.ChildCount() > 0
	for it := n.FirstChild(); it != nil; it = it.NextSibling() {
		if checkbox(it) == nil {
			task = false
		}
	}
	var items []Node
	for it := n.FirstChild(); it != nil && c.err == nil; it = it.NextSibling() {
		if task {
			cb := checkbox(it)
			cb.Parent().RemoveChild(cb.Parent(), cb)
			items = append(items, c.node(Node{Type: "taskItem", Attrs: map[string]any{"checked": cb.IsChecked}, Content: c.blocks(it, depth+2)}))
			continue
		}
		items = append(items, c.node(Node{Type: "listItem", Content: c.blocks(it, depth+2)}))
	}
	switch {
	case task:
		return c.node(Node{Type: "taskList", Content: items})
	case n.IsOrdered():
		return c.node(Node{Type: "orderedList", Attrs: map[string]any{"start": float64(min(max(n.Start, 0), 1e9)), "type": nil}, Content: items})
	}
	return c.node(Node{Type: "bulletList", Content: items})
}

// checkbox returns the task checkbox opening a list item, if any.
func checkbox(item ast.Node) *east.TaskCheckBox {
	first := item.FirstChild()
	if first == nil {
		return nil
	}
	if cb, ok := first.FirstChild().(*east.TaskCheckBox); ok {
		return cb
	}
	return nil
}

func (c *mdConverter) table(n *east.Table, depth int) Node {
	var rows []Node
	for r := n.FirstChild(); r != nil && c.err == nil; r = r.NextSibling() {
		cellType := "tableCell"
		if _, ok := r.(*east.TableHeader); ok {
			cellType = "tableHeader"
		}
		var cells []Node
		i := 0
		for cell := r.FirstChild(); cell != nil; cell = cell.NextSibling() {
			var align any
			if i < len(n.Alignments) {
				switch n.Alignments[i] {
				case east.AlignLeft:
					align = "left"
				case east.AlignRight:
					align = "right"
				case east.AlignCenter:
					align = "center"
				}
			}
			i++
			content := c.textblock(Node{Type: "paragraph"}, cell, depth+3)
			if len(content) == 0 {
				content = []Node{{Type: "paragraph"}}
			}
			cells = append(cells, c.node(Node{Type: cellType, Attrs: map[string]any{"align": align}, Content: content}))
		}
		rows = append(rows, c.node(Node{Type: "tableRow", Content: cells}))
	}
	return c.node(Node{Type: "table", Content: rows})
}

// textblock converts the inline children of n into block (a paragraph or
// heading). Images, which are blocks in this schema, split it.
func (c *mdConverter) textblock(block Node, n ast.Node, depth int) []Node {
	c.htmlMarks = nil
	var inl inlineCollector
	c.inlines(n, nil, &inl, depth+1)
	inl.image(nil) // close the last piece
	var out []Node
	for i, p := range inl.pieces {
		if len(p.content) > 0 || (i == len(inl.pieces)-1 && len(out) == 0) {
			b := block
			b.Content = p.content
			out = append(out, c.node(b))
		}
		if p.image != nil {
			out = append(out, c.node(Node{Type: "image", Attrs: p.image}))
		}
	}
	return out
}

// inlineCollector gathers inline nodes in pieces; an image ends a piece.
type inlineCollector struct {
	pieces  []inlinePiece
	pending []Node
}

type inlinePiece struct {
	content []Node
	image   map[string]any
}

func (ic *inlineCollector) add(n Node) { ic.pending = appendNodes(ic.pending, n) }

func (ic *inlineCollector) image(attrs map[string]any) {
	ic.pieces = append(ic.pieces, inlinePiece{content: ic.pending, image: attrs})
	ic.pending = nil
}

func (c *mdConverter) text(s string, marks []Mark, out *inlineCollector) {
	if s == "" {
		return
	}
	if err := c.budget.text(len(s)); err != nil {
		c.fail(err)
		return
	}
	if err := c.budget.node(); err != nil {
		c.fail(err)
		return
	}
	all := marks
	for name, open := range c.htmlMarks {
		if open > 0 {
			all = append(all[:len(all):len(all)], Mark{Type: name})
		}
	}
	var set []Mark
	for _, m := range all {
		set = addMark(set, m)
	}
	out.add(Node{Type: "text", Text: s, Marks: set})
}

func (c *mdConverter) inlines(n ast.Node, marks []Mark, out *inlineCollector, depth int) {
	if c.tooDeep(depth) {
		return
	}
	for ch := n.FirstChild(); ch != nil && c.err == nil; ch = ch.NextSibling() {
		c.inline(ch, marks, out, depth)
	}
}

func withMark(marks []Mark, m Mark) []Mark {
	return append(marks[:len(marks):len(marks)], m)
}

func (c *mdConverter) inline(n ast.Node, marks []Mark, out *inlineCollector, depth int) {
	switch n := n.(type) {
	case *ast.Text:
		s := string(n.Segment.Value(c.src))
		if !n.IsRaw() {
			s = unescapeMarkdown(s)
		}
		if n.SoftLineBreak() {
			s += " "
		}
		c.text(s, marks, out)
		if n.HardLineBreak() {
			if err := c.budget.node(); err != nil {
				c.fail(err)
			}
			out.add(Node{Type: "hardBreak", Marks: marksForBreak(marks, c.htmlMarks)})
		}
	case *ast.String:
		s := string(n.Value)
		if !n.IsRaw() && !n.IsCode() {
			s = unescapeMarkdown(s)
		}
		c.text(s, marks, out)
	case *ast.CodeSpan:
		var b strings.Builder
		for ch := n.FirstChild(); ch != nil; ch = ch.NextSibling() {
			switch t := ch.(type) {
			case *ast.Text:
				b.Write(t.Segment.Value(c.src))
			case *ast.String:
				b.Write(t.Value)
			}
		}
		c.text(b.String(), withMark(marks, Mark{Type: "code"}), out)
	case *ast.Emphasis:
		name := "italic"
		if n.Level >= 2 {
			name = "bold"
		}
		c.inlines(n, withMark(marks, Mark{Type: name}), out, depth+1)
	case *east.Strikethrough:
		c.inlines(n, withMark(marks, Mark{Type: "strike"}), out, depth+1)
	case *ast.Link:
		href := unescapeMarkdown(string(n.Destination))
		if SafeLinkURL(href) {
			var title any
			if len(n.Title) > 0 {
				title = unescapeMarkdown(string(n.Title))
			}
			if err := c.budget.text(len(href)); err != nil {
				c.fail(err)
				return
			}
			marks = withMark(marks, Mark{Type: "link", Attrs: linkMarkAttrs(href, title)})
		}
		c.inlines(n, marks, out, depth+1)
	case *ast.AutoLink:
		label := string(n.Label(c.src))
		href := string(n.URL(c.src))
		if n.AutoLinkType == ast.AutoLinkEmail && !strings.HasPrefix(strings.ToLower(href), "mailto:") {
			href = "mailto:" + href
		}
		if n.AutoLinkType == ast.AutoLinkURL && strings.HasPrefix(strings.ToLower(href), "www.") {
			href = "http://" + href
		}
		if SafeLinkURL(href) {
			if err := c.budget.text(len(href)); err != nil {
				c.fail(err)
				return
			}
			marks = withMark(marks, Mark{Type: "link", Attrs: linkMarkAttrs(href, nil)})
		}
		c.text(label, marks, out)
	case *ast.Image:
		src := unescapeMarkdown(string(n.Destination))
		if !SafeImageURL(src) {
			return
		}
		var alt inlineCollector
		c.inlines(n, nil, &alt, depth+1)
		var altText strings.Builder
		for _, p := range alt.pending {
			altText.WriteString(p.Text)
		}
		var title any
		if len(n.Title) > 0 {
			title = unescapeMarkdown(string(n.Title))
		}
		var altV any
		if altText.Len() > 0 {
			altV = altText.String()
		}
		if err := c.budget.text(len(src)); err != nil {
			c.fail(err)
			return
		}
		out.image(map[string]any{"src": src, "alt": altV, "title": title})
	case *ast.RawHTML:
		var b strings.Builder
		for i := 0; i < n.Segments.Len(); i++ {
			seg := n.Segments.At(i)
			b.Write(seg.Value(c.src))
		}
		c.rawHTML(b.String(), marks, out)
	case *east.TaskCheckBox:
		// A checkbox in a list that is not all tasks stays text.
		if n.IsChecked {
			c.text("[x] ", marks, out)
		} else {
			c.text("[ ] ", marks, out)
		}
	default:
		c.inlines(n, marks, out, depth+1)
	}
}

func marksForBreak(marks []Mark, html map[string]int) []Mark {
	var set []Mark
	for _, m := range marks {
		set = addMark(set, m)
	}
	for name, open := range html {
		if open > 0 {
			set = addMark(set, Mark{Type: name})
		}
	}
	return set
}

func linkMarkAttrs(href string, title any) map[string]any {
	return map[string]any{"href": href, "target": "_blank", "rel": "noopener noreferrer nofollow", "class": nil, "title": title}
}

var inlineTagRe = regexp.MustCompile(`^<(/?)([A-Za-z][A-Za-z0-9]*)\b[^>]*?(/?)>$`)

// rawHTML handles the inline tags that carry marks or breaks.
func (c *mdConverter) rawHTML(tag string, marks []Mark, out *inlineCollector) {
	m := inlineTagRe.FindStringSubmatch(tag)
	if m == nil {
		return
	}
	closing := m[1] == "/"
	var mark string
	switch strings.ToLower(m[2]) {
	case "br":
		if !closing {
			if err := c.budget.node(); err != nil {
				c.fail(err)
				return
			}
			out.add(Node{Type: "hardBreak", Marks: marksForBreak(marks, c.htmlMarks)})
		}
		return
	case "u", "ins":
		mark = "underline"
	case "strong", "b":
		mark = "bold"
	case "em", "i":
		mark = "italic"
	case "s", "del", "strike":
		mark = "strike"
	case "code":
		mark = "code"
	default:
		return
	}
	if m[3] == "/" {
		return
	}
	if c.htmlMarks == nil {
		c.htmlMarks = map[string]int{}
	}
	if closing {
		if c.htmlMarks[mark] > 0 {
			c.htmlMarks[mark]--
		}
	} else {
		c.htmlMarks[mark]++
	}
}

var mdEscapeOrEntity = regexp.MustCompile(`\\[!-/:-@\[-` + "`" + `{-~]|&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});`)

// unescapeMarkdown resolves backslash escapes and entity references in one
// pass, as CommonMark does for text, link destinations and titles.
func unescapeMarkdown(s string) string {
	if !strings.ContainsAny(s, `\&`) {
		return s
	}
	return mdEscapeOrEntity.ReplaceAllStringFunc(s, func(m string) string {
		if m[0] == '\\' {
			return m[1:]
		}
		u := stdhtml.UnescapeString(m)
		if u == m {
			return m // not a known entity: literal text
		}
		if strings.HasPrefix(m, "&#") && (u == "\x00" || u == "") {
			return "\uFFFD"
		}
		return u
	})
}
