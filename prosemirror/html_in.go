package prosemirror

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// ParseHTML converts untrusted HTML into a document the way Tiptap's
// generateJSON does: the HTML is parsed as the body of a page and then
// read with ProseMirror's DOMParser algorithm and the parse rules of the
// editor's extensions (<strong>/<b>, <em>/<i>, <s>/<del>/<strike>, <u>,
// <code>, <a href>, <pre><code class="language-x">, <ul data-type=
// "taskList">, tables, ...), including its whitespace collapsing and the
// wrapping of misplaced content. Elements with no rule contribute their
// content; scripts, styles and other ignored elements are dropped, and so
// are attributes the schema does not know. Links whose href is not a
// [SafeLinkURL] lose the link (the text stays) and images whose src is not
// a [SafeImageURL] are dropped.
func ParseHTML(src []byte, lim Limits) (Node, error) {
	lim = lim.withDefaults()
	if err := lim.checkInput(len(src), "HTML"); err != nil {
		return Node{}, err
	}
	body, err := parseHTMLBody(src)
	if err != nil {
		return Node{}, err
	}
	return parseDOM(body, lim)
}

// maxHTMLNesting bounds the element nesting of HTML input. The HTML
// parser does work proportional to the depth of open elements for each
// tag, so deep input would cost quadratic time.
const maxHTMLNesting = 512

// optionalEnd lists elements whose end tag is usually implied; they do not
// count toward nesting when unclosed.
var optionalEnd = map[atom.Atom]bool{
	atom.P: true, atom.Li: true, atom.Dt: true, atom.Dd: true, atom.Tr: true, atom.Td: true,
	atom.Th: true, atom.Option: true, atom.Optgroup: true, atom.Rb: true, atom.Rt: true,
	atom.Rtc: true, atom.Rp: true, atom.Thead: true, atom.Tbody: true, atom.Tfoot: true,
	atom.Colgroup: true, atom.Caption: true,
}

func parseHTMLBody(src []byte) (*html.Node, error) {
	// Pre-scan with the tokenizer: a cheap upper bound on nesting.
	z := html.NewTokenizer(bytes.NewReader(src))
	depth := 0
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() != io.EOF {
				return nil, &Error{Msg: "unreadable HTML: " + z.Err().Error()}
			}
			break
		}
		switch tt {
		case html.StartTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if !isVoid(a) && !optionalEnd[a] {
				depth++
				if depth > maxHTMLNesting {
					return nil, &Error{Msg: fmt.Sprintf("HTML elements nested deeper than %d", maxHTMLNesting), TooLarge: true}
				}
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if !isVoid(a) && !optionalEnd[a] && depth > 0 {
				depth--
			}
		}
	}
	doc, err := html.Parse(io.MultiReader(strings.NewReader("<!DOCTYPE html><html><body>"), bytes.NewReader(src), strings.NewReader("</body></html>")))
	if err != nil {
		return nil, &Error{Msg: "unreadable HTML: " + err.Error()}
	}
	var body *html.Node
	var find func(n *html.Node)
	find = func(n *html.Node) {
		for c := n.FirstChild; c != nil && body == nil; c = c.NextSibling {
			if c.Type == html.ElementNode && c.DataAtom == atom.Body {
				body = c
				return
			}
			if c.Type == html.ElementNode && c.DataAtom == atom.Html {
				find(c)
			}
		}
	}
	find(doc)
	if body == nil {
		body = &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	}
	return body, nil
}

func isVoid(a atom.Atom) bool {
	switch a {
	case atom.Area, atom.Base, atom.Br, atom.Col, atom.Embed, atom.Hr, atom.Img, atom.Input,
		atom.Keygen, atom.Link, atom.Meta, atom.Param, atom.Source, atom.Track, atom.Wbr:
		return true
	}
	return false
}

// The DOM parser below follows prosemirror-model's DOMParser (1.25): the
// same rule order, context stack, wrapping search and whitespace rules,
// so that its output matches Tiptap's for the same HTML.

type parseRule struct {
	tag  string
	cond func(el *html.Node) bool // attribute selectors and getAttrs returning false
	node *nodeType
	mark *markType
	// attrs computes the attributes, as Tiptap's injected attribute parsers do.
	attrs          func(el *html.Node) map[string]any
	preserveWS     string // "", "true" or "full"
	contentElement func(el *html.Node) *html.Node

	style      string // style rules: "prop" or "prop=value"
	styleOK    func(value string) bool
	clearMark  *markType
	consuming  bool
	styleRules bool
}

var blockTags = map[string]bool{
	"address": true, "article": true, "aside": true, "blockquote": true, "body": true, "canvas": true,
	"dd": true, "div": true, "dl": true, "fieldset": true, "figcaption": true, "figure": true,
	"footer": true, "form": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true,
	"h6": true, "header": true, "hgroup": true, "hr": true, "li": true, "noscript": true, "ol": true,
	"output": true, "p": true, "pre": true, "section": true, "table": true, "tfoot": true, "ul": true,
}

var ignoreTags = map[string]bool{
	"head": true, "noscript": true, "object": true, "script": true, "style": true, "title": true,
	// Not in ProseMirror's list, but never document content and unsafe to
	// descend into: their text is markup or code, not prose.
	"template": true, "iframe": true, "frameset": true, "frame": true, "noembed": true, "noframes": true,
	"svg": true, "math": true,
}

var tagRules, styleRules = htmlRules()
var matchedStyles = []string{"font-weight", "font-style", "text-decoration"}

func htmlRules() (tags, styles []*parseRule) {
	n := tiptap.nodes
	m := tiptap.marks
	node := func(tag string, t string) *parseRule { return &parseRule{tag: tag, node: n[t]} }
	mark := func(tag string, t string) *parseRule { return &parseRule{tag: tag, mark: m[t]} }
	notStyle := func(prop, value string) func(*html.Node) bool {
		return func(el *html.Node) bool { return styleValue(el, prop) != value }
	}
	cell := func(tag, t string) *parseRule {
		r := node(tag, t)
		r.attrs = cellAttrs
		return r
	}
	// Tiptap rules in schema order; priority 51 rules go first, the rest
	// keep their order (ProseMirror's schemaRules is a stable sort).
	tags = []*parseRule{
		{tag: "ul", node: n["taskList"], cond: func(el *html.Node) bool { return attr(el, "data-type") == "taskList" }},
		{tag: "li", node: n["taskItem"], cond: func(el *html.Node) bool { return attr(el, "data-type") == "taskItem" },
			attrs: func(el *html.Node) map[string]any {
				v, ok := attrOK(el, "data-checked")
				return map[string]any{"checked": ok && (v == "" || v == "true")}
			},
			contentElement: func(el *html.Node) *html.Node {
				if d := querySelector(el, func(c *html.Node) bool { return c.DataAtom == atom.Div }); d != nil {
					return d
				}
				return el
			}},
		{tag: "a", mark: m["link"], cond: func(el *html.Node) bool {
			href, ok := attrOK(el, "href")
			return ok && href != "" && SafeLinkURL(href)
		}, attrs: linkAttrs},
		mark("strong", "bold"),
		{tag: "b", mark: m["bold"], cond: notStyle("font-weight", "normal")},
		mark("code", "code"),
		mark("em", "italic"),
		{tag: "i", mark: m["italic"], cond: notStyle("font-style", "normal")},
		mark("s", "strike"), mark("del", "strike"), mark("strike", "strike"),
		mark("u", "underline"),
		node("p", "paragraph"),
		node("blockquote", "blockquote"),
		node("ul", "bulletList"),
		{tag: "pre", node: n["codeBlock"], preserveWS: "full", attrs: func(el *html.Node) map[string]any {
			var lang any
			for c := el.FirstChild; c != nil; c = c.NextSibling {
				if c.Type == html.ElementNode {
					for _, cls := range strings.Fields(attr(c, "class")) {
						if l, ok := strings.CutPrefix(cls, "language-"); ok {
							lang = l
							break
						}
					}
					break
				}
			}
			return map[string]any{"language": lang}
		}},
	}
	for level := 1; level <= 6; level++ {
		tags = append(tags, &parseRule{tag: "h" + strconv.Itoa(level), node: n["heading"],
			attrs: func(*html.Node) map[string]any { return map[string]any{"level": float64(level)} }})
	}
	tags = append(tags,
		node("br", "hardBreak"),
		node("hr", "horizontalRule"),
		node("li", "listItem"),
		&parseRule{tag: "ol", node: n["orderedList"], attrs: orderedListAttrs},
		node("table", "table"),
		node("tr", "tableRow"),
		cell("th", "tableHeader"),
		cell("td", "tableCell"),
		&parseRule{tag: "img", node: n["image"], cond: func(el *html.Node) bool {
			src, ok := attrOK(el, "src")
			return ok && !strings.HasPrefix(src, "data:") && SafeImageURL(src)
		}, attrs: imageAttrs},
	)
	fontWeight := regexp.MustCompile(`^(bold(er)?|[5-9]\d{2,})$`)
	styles = []*parseRule{
		{style: "font-weight=400", clearMark: m["bold"], consuming: true},
		{style: "font-weight", mark: m["bold"], styleOK: fontWeight.MatchString, consuming: true},
		{style: "font-style=normal", clearMark: m["italic"], consuming: true},
		{style: "font-style=italic", mark: m["italic"], consuming: true},
		{style: "text-decoration", mark: m["strike"], styleOK: func(v string) bool { return strings.Contains(v, "line-through") }},
		{style: "text-decoration", mark: m["underline"], styleOK: func(v string) bool { return strings.Contains(v, "underline") }},
	}
	return tags, styles
}

func linkAttrs(el *html.Node) map[string]any {
	a := map[string]any{"href": attr(el, "href")}
	for _, k := range []string{"target", "rel", "class", "title"} {
		if v, ok := attrOK(el, k); ok {
			a[k] = v
		}
	}
	return a
}

func orderedListAttrs(el *html.Node) map[string]any {
	a := map[string]any{}
	if s, ok := attrOK(el, "start"); ok {
		if v, ok := parseIntPrefix(s); ok && v >= 0 && v <= 1e9 {
			a["start"] = float64(v)
		}
	}
	if t := attr(el, "type"); t != "" {
		a["type"] = t
	} else if t := cssListStyleType(attr(el, "style")); t != nil {
		a["type"] = t
	} else if li := querySelector(el, func(c *html.Node) bool { return c.DataAtom == atom.Li }); li != nil {
		if t := cssListStyleType(attr(li, "style")); t != nil {
			a["type"] = t
		}
	}
	return a
}

var listStyleTypeRe = regexp.MustCompile(`(?i)list-style-type\s*:\s*([^;]+)`)

func cssListStyleType(style string) any {
	m := listStyleTypeRe.FindStringSubmatch(style)
	if m == nil {
		return nil
	}
	switch strings.ToLower(strings.TrimSpace(m[1])) {
	case "upper-roman":
		return "I"
	case "lower-roman":
		return "i"
	case "upper-alpha", "upper-latin":
		return "A"
	case "lower-alpha", "lower-latin":
		return "a"
	}
	return nil
}

func cellAttrs(el *html.Node) map[string]any {
	a := map[string]any{}
	for _, k := range []string{"colspan", "rowspan"} {
		if s, ok := attrOK(el, k); ok {
			// Tiptap turns numeric strings into numbers; the server keeps
			// only spans it can render.
			if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil && f >= 1 && f <= maxSpan && f == math.Trunc(f) {
				a[k] = f
			}
		}
	}
	if cw, ok := attrOK(el, "colwidth"); ok && cw != "" {
		var widths []any
		for _, p := range strings.Split(cw, ",") {
			if v, ok := parseIntPrefix(p); ok && v >= 0 && v <= 1e6 {
				widths = append(widths, float64(v))
			} else {
				widths = append(widths, nil) // parseInt gives NaN, which JSON writes as null
			}
			if len(widths) > maxSpan {
				break
			}
		}
		a["colwidth"] = widths
	} else if w := colgroupWidth(el); w != nil {
		a["colwidth"] = w
	}
	align := strings.ToLower(strings.TrimSpace(styleValue(el, "text-align")))
	if align == "" {
		align = strings.ToLower(strings.TrimSpace(attr(el, "align")))
	}
	switch align {
	case "left", "right", "center":
		a["align"] = align
	}
	return a
}

// colgroupWidth reads the width of the <col> for el's column from the
// table's <colgroup>, as Tiptap's parseColgroupWidth does.
func colgroupWidth(el *html.Node) []any {
	row := el.Parent
	if row == nil {
		return nil
	}
	index := 0
	for c := row.FirstChild; c != nil && c != el; c = c.NextSibling {
		if c.Type == html.ElementNode {
			index++
		}
	}
	table := row
	for table != nil && table.DataAtom != atom.Table {
		table = table.Parent
	}
	if table == nil {
		return nil
	}
	i := 0
	var width string
	var found bool
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil && !found; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			if c.DataAtom == atom.Colgroup {
				for col := c.FirstChild; col != nil; col = col.NextSibling {
					if col.Type == html.ElementNode && col.DataAtom == atom.Col {
						if i == index {
							width, found = attr(col, "width"), true
							return
						}
						i++
					}
				}
			} else {
				walk(c)
			}
		}
	}
	walk(table)
	if !found || width == "" {
		return nil
	}
	if v, ok := parseIntPrefix(width); ok && v >= 0 && v <= 1e6 {
		return []any{float64(v)}
	}
	return []any{nil}
}

func imageAttrs(el *html.Node) map[string]any {
	a := map[string]any{}
	for _, k := range []string{"src", "alt", "title"} {
		if v, ok := attrOK(el, k); ok {
			a[k] = v
		}
	}
	for _, k := range []string{"width", "height"} {
		if v, ok := attrOK(el, k); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil && isJSNumeric(v) && f >= 0 && f <= 1e6 && f == math.Trunc(f) {
				a[k] = f
			} else if len(v) <= 32 && !isJSNumeric(v) {
				a[k] = v
			}
		}
	}
	return a
}

var jsNumericRe = regexp.MustCompile(`^[+-]?(?:\d*\.)?\d+$`)

// isJSNumeric is Tiptap's fromString test for turning attributes into numbers.
func isJSNumeric(s string) bool { return jsNumericRe.MatchString(s) }

// parseIntPrefix is JavaScript's parseInt(s, 10).
func parseIntPrefix(s string) (int64, bool) {
	s = strings.TrimLeftFunc(s, jsIsSpace)
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == i || j-i > 15 {
		return 0, false
	}
	v, err := strconv.ParseInt(s[:j], 10, 64)
	return v, err == nil
}

func attr(el *html.Node, name string) string {
	v, _ := attrOK(el, name)
	return v
}

func attrOK(el *html.Node, name string) (string, bool) {
	for _, a := range el.Attr {
		if a.Namespace == "" && a.Key == name {
			return a.Val, true
		}
	}
	return "", false
}

func querySelector(el *html.Node, match func(*html.Node) bool) *html.Node {
	for c := el.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode {
			continue
		}
		if match(c) {
			return c
		}
		if d := querySelector(c, match); d != nil {
			return d
		}
	}
	return nil
}

// styleValue returns the value of a CSS property in el's style attribute,
// the last declaration winning, without !important.
func styleValue(el *html.Node, prop string) string {
	style, ok := attrOK(el, "style")
	if !ok {
		return ""
	}
	var val string
	for _, decl := range strings.Split(style, ";") {
		k, v, ok := strings.Cut(decl, ":")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), prop) {
			continue
		}
		v = strings.TrimSpace(v)
		v = strings.TrimSpace(strings.TrimSuffix(v, "!important"))
		val = strings.ToLower(v)
	}
	return val
}

func (r *parseRule) matches(el *html.Node) bool {
	return el.Data == r.tag && (r.cond == nil || r.cond(el))
}

const (
	optPreserveWS     = 1
	optPreserveWSFull = 2
)

func wsOptionsFor(t *nodeType, preserveWS string, base int) int {
	switch preserveWS {
	case "full":
		return optPreserveWS | optPreserveWSFull
	case "true":
		return optPreserveWS
	}
	if t != nil && t.code {
		return optPreserveWS | optPreserveWSFull
	}
	return base
}

type nodeContext struct {
	typ     *nodeType
	attrs   map[string]any
	marks   []Mark
	solid   bool
	options int
	content []Node
	match   *contentMatch
}

func (cx *nodeContext) findWrapping(t *nodeType) ([]*nodeType, bool) {
	if cx.match == nil {
		// The content so far did not fit; start over as ProseMirror does.
		probe := []Node{{Type: t.name}}
		if t.isText() {
			probe[0].Text = "x"
		}
		if fill, ok := cx.typ.content.fillBefore(probe, false); ok {
			cx.match = cx.typ.content.matchNodes(fill)
		} else if w, ok := cx.typ.content.findWrapping(t); ok {
			cx.match = cx.typ.content
			return w, true
		} else {
			return nil, false
		}
		if cx.match == nil {
			return nil, false
		}
	}
	return cx.match.findWrapping(t)
}

func (cx *nodeContext) finish() Node {
	if cx.options&optPreserveWS == 0 {
		if n := len(cx.content); n > 0 && cx.content[n-1].IsText() {
			last := &cx.content[n-1]
			trimmed := strings.TrimRight(last.Text, " \t\r\n\f")
			if trimmed == "" {
				cx.content = cx.content[:n-1]
			} else {
				last.Text = trimmed
			}
		}
	}
	content := cx.content
	if cx.match != nil {
		if fill, ok := cx.match.fillBefore(nil, true); ok {
			content = appendNodes(content, fill...)
		}
	}
	return Node{Type: cx.typ.name, Attrs: computeAttrs(cx.typ.attrs, cx.attrs), Content: content, Marks: cx.marks}
}

type parseContext struct {
	nodes           []*nodeContext
	open            int
	localPreserveWS bool
	budget          *budget
	err             error
	domDepth        int
}

func parseDOM(body *html.Node, lim Limits) (Node, error) {
	top := &nodeContext{typ: tiptap.top, solid: true, match: tiptap.top.content}
	pc := &parseContext{nodes: []*nodeContext{top}, budget: &budget{lim: lim}}
	pc.addAll(body, nil)
	if pc.err != nil {
		return Node{}, pc.err
	}
	pc.open = 0
	pc.closeExtra()
	doc := pc.nodes[0].finish()
	out, err := Normalize(doc, lim)
	if err != nil {
		var e *Error
		if asError(err, &e) && e.TooLarge {
			return Node{}, err
		}
		// The DOM parser can build content its schema refuses in corner
		// cases (ProseMirror's does too); repair it rather than fail.
		return repair(doc, lim)
	}
	return out, nil
}

func (pc *parseContext) top() *nodeContext { return pc.nodes[pc.open] }

func (pc *parseContext) addDOM(n *html.Node, marks []Mark) {
	if pc.err != nil {
		return
	}
	switch n.Type {
	case html.TextNode:
		pc.addTextNode(n, n.Data, marks)
	case html.ElementNode:
		pc.domDepth++
		if pc.domDepth > maxHTMLNesting*2 {
			pc.err = &Error{Msg: fmt.Sprintf("HTML elements nested deeper than %d", maxHTMLNesting), TooLarge: true}
			return
		}
		pc.addElement(n, marks)
		pc.domDepth--
	}
}

func isCollapsibleSpace(c rune) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f'
}

var collapsibleRun = regexp.MustCompile(`[ \t\r\n\f]+`)

// jsIsSpace is JavaScript's \s.
func jsIsSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

func allJSSpace(s string) bool {
	for _, r := range s {
		if !jsIsSpace(r) {
			return false
		}
	}
	return true
}

func (pc *parseContext) addTextNode(dom *html.Node, value string, marks []Mark) {
	top := pc.top()
	full := top.options&optPreserveWSFull != 0
	preserve := pc.localPreserveWS || top.options&optPreserveWS != 0
	hasContent := strings.IndexFunc(value, func(r rune) bool { return !isCollapsibleSpace(r) }) >= 0
	if !(full || top.typ.inlineContent || hasContent) {
		return
	}
	switch {
	case !preserve && !full:
		value = collapsibleRun.ReplaceAllString(value, " ")
		if strings.HasPrefix(value, " ") && pc.open == len(pc.nodes)-1 {
			var before *Node
			if n := len(top.content); n > 0 {
				before = &top.content[n-1]
			}
			prevBR := dom != nil && dom.PrevSibling != nil && dom.PrevSibling.Type == html.ElementNode && dom.PrevSibling.DataAtom == atom.Br
			if before == nil || prevBR || (before.IsText() && strings.ContainsAny(before.Text[len(before.Text)-1:], " \t\r\n\f")) {
				value = value[1:]
			}
		}
	case full:
		value = strings.ReplaceAll(strings.ReplaceAll(value, "\r\n", "\n"), "\r", "\n")
	default:
		// Preserved but not full whitespace: hard breaks replace line
		// breaks where one fits (hardBreak is the schema's
		// linebreakReplacement).
		if strings.ContainsAny(value, "\r\n") {
			if _, ok := top.findWrapping(tiptap.nodes["hardBreak"]); ok {
				lines := regexp.MustCompile(`\r?\n|\r`).Split(value, -1)
				for i, line := range lines {
					if i > 0 {
						pc.insertNode(Node{Type: "hardBreak"}, marks, true)
					}
					if line != "" {
						pc.insertNode(Node{Type: "text", Text: line}, marks, allJSSpace(line))
					}
				}
				return
			}
		}
		value = regexp.MustCompile(`\r?\n|\r`).ReplaceAllString(value, " ")
	}
	if value != "" {
		pc.insertNode(Node{Type: "text", Text: value}, marks, allJSSpace(value))
	}
}

func (pc *parseContext) matchTag(el *html.Node) *parseRule {
	for _, r := range tagRules {
		if r.matches(el) {
			return r
		}
	}
	return nil
}

func (pc *parseContext) addElement(el *html.Node, marks []Mark) {
	outerWS := pc.localPreserveWS
	top := pc.top()
	if el.DataAtom == atom.Pre || strings.Contains(styleValue(el, "white-space"), "pre") {
		pc.localPreserveWS = true
	}
	name := el.Data
	if name == "ul" || name == "ol" {
		normalizeList(el)
	}
	rule := pc.matchTag(el)
	switch {
	case rule == nil && ignoreTags[name]:
		// dropped with its content
	case rule == nil:
		sync := false
		if blockTags[name] {
			if len(top.content) > 0 && tiptap.nodes[top.content[0].Type].inline && pc.open > 0 {
				pc.open--
				top = pc.top()
			}
			sync = true
		} else if el.FirstChild == nil {
			pc.leafFallback(el, marks)
			break
		}
		if inner, ok := pc.readStyles(el, marks); ok {
			pc.addAll(el, inner)
		}
		if sync {
			pc.sync(top)
		}
	default:
		if inner, ok := pc.readStyles(el, marks); ok {
			pc.addElementByRule(el, rule, inner)
		}
	}
	pc.localPreserveWS = outerWS
}

func (pc *parseContext) leafFallback(el *html.Node, marks []Mark) {
	if el.DataAtom == atom.Br && pc.top().typ.inlineContent {
		pc.addTextNode(nil, "\n", marks)
	}
}

func (pc *parseContext) readStyles(el *html.Node, marks []Mark) ([]Mark, bool) {
	if _, ok := attrOK(el, "style"); !ok {
		return marks, true
	}
	for _, prop := range matchedStyles {
		value := styleValue(el, prop)
		if value == "" {
			continue
		}
		for _, r := range styleRules {
			p, want, hasValue := strings.Cut(r.style, "=")
			if p != prop || hasValue && want != value {
				continue
			}
			if r.styleOK != nil && !r.styleOK(value) {
				continue
			}
			if r.clearMark != nil {
				kept := make([]Mark, 0, len(marks))
				for _, m := range marks {
					if m.Type != r.clearMark.name {
						kept = append(kept, m)
					}
				}
				marks = kept
			} else {
				marks = append(marks[:len(marks):len(marks)], Mark{Type: r.mark.name})
			}
			if r.consuming {
				break
			}
		}
	}
	return marks, true
}

func (pc *parseContext) addElementByRule(el *html.Node, rule *parseRule, marks []Mark) {
	var attrs map[string]any
	if rule.attrs != nil {
		attrs = rule.attrs(el)
	}
	sync := false
	var t *nodeType
	if rule.node != nil {
		t = rule.node
		if !t.isLeaf() {
			if inner, ok := pc.enter(t, attrs, marks, rule.preserveWS); ok {
				sync = true
				marks = inner
			}
		} else {
			n := Node{Type: t.name, Attrs: computeAttrs(t.attrs, attrs)}
			if !pc.insertNode(n, marks, el.DataAtom == atom.Br) {
				pc.leafFallback(el, marks)
			}
		}
	} else {
		m := Mark{Type: rule.mark.name, Attrs: computeAttrs(rule.mark.attrs, attrs)}
		if err := pc.countAttrs(m.Attrs); err != nil {
			pc.err = err
			return
		}
		marks = append(marks[:len(marks):len(marks)], m)
	}
	startIn := pc.top()
	if t != nil && t.isLeaf() {
		return
	}
	content := el
	if rule.contentElement != nil {
		content = rule.contentElement(el)
	}
	pc.addAll(content, marks)
	if sync && pc.sync(startIn) {
		pc.open--
	}
}

func (pc *parseContext) countAttrs(attrs map[string]any) error {
	for _, v := range attrs {
		if s, ok := v.(string); ok {
			if err := pc.budget.text(len(s)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (pc *parseContext) addAll(parent *html.Node, marks []Mark) {
	for c := parent.FirstChild; c != nil && pc.err == nil; c = c.NextSibling {
		pc.addDOM(c, marks)
	}
}

// findPlace finds a context where a node of type t fits, possibly through
// wrapper nodes, and enters the wrappers.
func (pc *parseContext) findPlace(t *nodeType, marks []Mark, cautious bool) ([]Mark, bool) {
	var route []*nodeType
	var found bool
	var syncTo *nodeContext
	penalty := 0
	for depth := pc.open; depth >= 0; depth-- {
		cx := pc.nodes[depth]
		w, ok := cx.findWrapping(t)
		if ok && (!found || len(route) > len(w)+penalty) {
			route, found, syncTo = w, true, cx
			if len(w) == 0 {
				break
			}
		}
		if cx.solid {
			if cautious {
				break
			}
			penalty += 2
		}
	}
	if !found {
		return nil, false
	}
	pc.sync(syncTo)
	for _, wt := range route {
		marks = pc.enterInner(wt, nil, marks, false, "")
	}
	return marks, true
}

func (pc *parseContext) insertNode(n Node, marks []Mark, cautious bool) bool {
	if pc.err != nil {
		return false
	}
	t := tiptap.nodes[n.Type]
	inner, ok := pc.findPlace(t, marks, cautious)
	if !ok {
		return false
	}
	if err := pc.budget.node(); err != nil {
		pc.err = err
		return false
	}
	if err := pc.budget.text(len(n.Text)); err != nil {
		pc.err = err
		return false
	}
	pc.closeExtra()
	top := pc.top()
	if top.match != nil {
		top.match = top.match.matchType(t)
	}
	var set []Mark
	for _, m := range append(inner[:len(inner):len(inner)], n.Marks...) {
		if top.typ.allowsMarkType(tiptap.marks[m.Type]) {
			set = addMark(set, m)
		}
	}
	n.Marks = set
	top.content = append(top.content, n)
	return true
}

func (pc *parseContext) enter(t *nodeType, attrs map[string]any, marks []Mark, preserveWS string) ([]Mark, bool) {
	if _, ok := pc.findPlace(t, marks, false); !ok {
		return nil, false
	}
	return pc.enterInner(t, attrs, marks, true, preserveWS), true
}

func (pc *parseContext) enterInner(t *nodeType, attrs map[string]any, marks []Mark, solid bool, preserveWS string) []Mark {
	if err := pc.budget.node(); err != nil && pc.err == nil {
		pc.err = err
	}
	if err := pc.countAttrs(attrs); err != nil && pc.err == nil {
		pc.err = err
	}
	pc.closeExtra()
	top := pc.top()
	if top.match != nil {
		top.match = top.match.matchType(t)
	}
	options := wsOptionsFor(t, preserveWS, top.options)
	var apply []Mark
	var rest []Mark
	for _, m := range marks {
		if top.typ.allowsMarkType(tiptap.marks[m.Type]) {
			apply = addMark(apply, m)
		} else {
			rest = append(rest, m)
		}
	}
	pc.nodes = append(pc.nodes, &nodeContext{typ: t, attrs: attrs, marks: apply, solid: solid, options: options, match: t.content})
	pc.open++
	return rest
}

func (pc *parseContext) closeExtra() {
	for i := len(pc.nodes) - 1; i > pc.open; i-- {
		parent := pc.nodes[i-1]
		parent.content = append(parent.content, pc.nodes[i].finish())
	}
	pc.nodes = pc.nodes[:pc.open+1]
}

func (pc *parseContext) sync(to *nodeContext) bool {
	for i := pc.open; i >= 0; i-- {
		if pc.nodes[i] == to {
			pc.open = i
			return true
		} else if pc.localPreserveWS {
			pc.nodes[i].options |= optPreserveWS
		}
	}
	return false
}

// normalizeList moves lists nested directly in a list (as some tools write
// them) into the preceding item, as ProseMirror does.
func normalizeList(list *html.Node) {
	var prevItem *html.Node
	for child := list.FirstChild; child != nil; child = child.NextSibling {
		if child.Type != html.ElementNode {
			continue
		}
		switch {
		case (child.DataAtom == atom.Ul || child.DataAtom == atom.Ol) && prevItem != nil:
			list.RemoveChild(child)
			prevItem.AppendChild(child)
			child = prevItem
		case child.DataAtom == atom.Li:
			prevItem = child
		default:
			prevItem = nil
		}
	}
}
