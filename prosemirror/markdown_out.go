package prosemirror

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ToMarkdown renders doc as GitHub Flavored Markdown that [ParseMarkdown]
// reads back as the same document, with two normalizations: whitespace at
// the edges of bold, italic and strikethrough text moves outside the mark
// (Markdown cannot express it), and newlines inside text (which Tiptap
// never writes) become spaces. What GFM has no syntax for is written as
// inline HTML that ParseMarkdown understands: underline as <u>, hard
// breaks in headings and table cells as <br>, empty paragraphs as
// <p></p>, images with a size as <img>, and tables GFM cannot express
// (merged or sized cells, several blocks in a cell, no header row) as an
// HTML table. An ordered list's numbering style (a, i, ...) is lost.
//
// Each textblock is checked by parsing it back; when delimiters like ** and
// * cannot express its marks (flanking rules), its marks are written as
// HTML tags instead.
func ToMarkdown(doc Node) string {
	w := &mdWriter{}
	lines := w.blocks(doc.Content, 0)
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}

type mdWriter struct{}

const (
	ctxParagraph = iota
	ctxHeading
	ctxCell
)

// blocks renders block nodes separated by blank lines.
func (w *mdWriter) blocks(nodes []Node, depth int) []string {
	var out []string
	prevList := ""
	for i := range nodes {
		n := &nodes[i]
		lines, marker := w.block(n, depth, prevList)
		prevList = marker
		if len(lines) == 0 {
			continue
		}
		if len(out) > 0 {
			out = append(out, "")
		}
		out = append(out, lines...)
	}
	return out
}

// block renders one block. prevList is the list marker of the previous
// sibling if it was a list; the returned marker is this block's.
func (w *mdWriter) block(n *Node, depth int, prevList string) ([]string, string) {
	if depth > maxRenderDepth {
		return nil, ""
	}
	switch n.Type {
	case "paragraph":
		if len(n.Content) == 0 {
			return []string{"<p></p>"}, ""
		}
		return strings.Split(w.textblock(n.Content, ctxParagraph), "\n"), ""
	case "heading":
		level := 1
		if f, ok := toFloat(n.Attrs["level"]); ok && f >= 1 && f <= 6 {
			level = int(f)
		}
		hashes := strings.Repeat("#", level)
		if len(n.Content) == 0 {
			return []string{hashes}, ""
		}
		return []string{hashes + " " + w.textblock(n.Content, ctxHeading)}, ""
	case "codeBlock":
		return codeFence(n), ""
	case "blockquote":
		inner := w.blocks(n.Content, depth+1)
		for i, l := range inner {
			if l == "" {
				inner[i] = ">"
			} else {
				inner[i] = "> " + l
			}
		}
		return inner, ""
	case "bulletList", "taskList":
		marker := "-"
		switch prevList {
		case "-":
			marker = "*"
		case "*":
			marker = "+"
		}
		return w.list(n, depth, func(int) string { return marker }), marker
	case "orderedList":
		delim := "."
		if prevList == "." {
			delim = ")"
		}
		start := 1
		if f, ok := toFloat(n.Attrs["start"]); ok && f >= 0 && f <= 999999999 {
			start = int(f)
		}
		return w.list(n, depth, func(i int) string {
			num := start + i
			if num > 999999999 {
				num = 999999999
			}
			return strconv.Itoa(num) + delim
		}), delim
	case "horizontalRule":
		return []string{"---"}, ""
	case "image":
		return w.image(n), ""
	case "table":
		if lines, ok := w.gfmTable(n); ok {
			return lines, ""
		}
		var hw htmlWriter
		hw.node(n, depth)
		return []string{htmlBlockLine(hw.b.String())}, ""
	}
	// Unknown blocks render their content.
	return w.blocks(n.Content, depth+1), ""
}

// htmlBlockLine keeps an HTML block on one line: a blank line would end it.
func htmlBlockLine(s string) string {
	return strings.NewReplacer("\r", "&#13;", "\n", "&#10;").Replace(s)
}

func (w *mdWriter) list(n *Node, depth int, marker func(int) string) []string {
	var out []string
	for i := range n.Content {
		item := &n.Content[i]
		m := marker(i)
		indent := strings.Repeat(" ", len(m)+1)
		prefix := m + " "
		content := item.Content
		if item.Type == "taskItem" {
			if item.Attrs["checked"] == true {
				prefix += "[x] "
			} else {
				prefix += "[ ] "
			}
		}
		var lines []string
		if len(content) == 1 && content[0].Type == "paragraph" && len(content[0].Content) == 0 && i < len(n.Content)-1 {
			// An empty item: a bare marker (the parser adds the paragraph).
			// Not for the last item: goldmark can merge what follows into
			// an empty last item.
			lines = []string{strings.TrimRight(prefix, " ")}
		} else {
			inner := w.blocks(content, depth+1)
			if len(inner) == 0 {
				inner = []string{"<p></p>"}
			}
			lines = append([]string{prefix + inner[0]}, indentLines(inner[1:], indent)...)
		}
		out = append(out, lines...)
	}
	return out
}

func indentLines(lines []string, indent string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		if l == "" {
			out[i] = ""
		} else {
			out[i] = indent + l
		}
	}
	return out
}

func codeFence(n *Node) []string {
	text := n.TextContent()
	lang, _ := n.Attrs["language"].(string)
	fenceChar := "`"
	if strings.Contains(lang, "`") {
		fenceChar = "~"
	}
	longest := 0
	run := 0
	for _, r := range text {
		if string(r) == fenceChar {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat(fenceChar, max(3, longest+1))
	out := []string{fence + escapeInfo(lang)}
	if text != "" {
		out = append(out, strings.Split(strings.ReplaceAll(text, "\r", ""), "\n")...)
	}
	return append(out, fence)
}

func escapeInfo(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' || s[i] == '&' && entityAt(s, i) {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

var entityStart = regexp.MustCompile(`^&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});`)

func entityAt(s string, i int) bool { return entityStart.MatchString(s[i:]) }

func (w *mdWriter) image(n *Node) []string {
	src, _ := n.Attrs["src"].(string)
	if !SafeImageURL(src) {
		return nil
	}
	if n.Attrs["width"] != nil || n.Attrs["height"] != nil {
		var hw htmlWriter
		hw.node(n, 0)
		return []string{htmlBlockLine(hw.b.String())}
	}
	alt, _ := n.Attrs["alt"].(string)
	s := "![" + escapeText(strings.ReplaceAll(alt, "\n", " "), ctxParagraph) + "](" + mdDestination(src)
	if title, ok := n.Attrs["title"].(string); ok {
		s += " " + mdTitle(title)
	}
	return []string{s + ")"}
}

// gfmTable renders a table as a GFM table when GFM can express it.
func (w *mdWriter) gfmTable(n *Node) ([]string, bool) {
	if len(n.Content) == 0 {
		return nil, false
	}
	cols := len(n.Content[0].Content)
	if cols == 0 {
		return nil, false
	}
	aligns := make([]any, cols)
	rows := make([][]string, len(n.Content))
	for r := range n.Content {
		row := &n.Content[r]
		if row.Type != "tableRow" || len(row.Content) != cols {
			return nil, false
		}
		for c := range row.Content {
			cell := &row.Content[c]
			wantType := "tableCell"
			if r == 0 {
				wantType = "tableHeader"
			}
			if cell.Type != wantType || len(cell.Content) != 1 || cell.Content[0].Type != "paragraph" {
				return nil, false
			}
			if f, _ := toFloat(cell.Attrs["colspan"]); f != 1 {
				return nil, false
			}
			if f, _ := toFloat(cell.Attrs["rowspan"]); f != 1 {
				return nil, false
			}
			if cell.Attrs["colwidth"] != nil {
				return nil, false
			}
			if r == 0 {
				aligns[c] = cell.Attrs["align"]
			} else if !valueEqual(aligns[c], cell.Attrs["align"]) {
				return nil, false
			}
			rows[r] = append(rows[r], w.textblock(cell.Content[0].Content, ctxCell))
		}
	}
	line := func(cells []string) string {
		var b strings.Builder
		b.WriteString("|")
		for _, c := range cells {
			b.WriteString(" " + c + " |")
		}
		return b.String()
	}
	out := []string{line(rows[0])}
	delims := make([]string, cols)
	for i, a := range aligns {
		switch a {
		case "left":
			delims[i] = ":---"
		case "right":
			delims[i] = "---:"
		case "center":
			delims[i] = ":---:"
		default:
			delims[i] = "---"
		}
	}
	out = append(out, line(delims))
	for _, r := range rows[1:] {
		out = append(out, line(r))
	}
	return out, true
}

// textblock renders inline content, checking the result by parsing it
// back and falling back to HTML tags for marks when delimiters fail.
func (w *mdWriter) textblock(content []Node, ctx int) string {
	content = ExpelMarkWhitespace(normalizeInlineText(content))
	if !hasStyledMarks(content) {
		// Every style writes the same; there is nothing to choose.
		return renderInline(content, ctx, styleStar)
	}
	var first string
	for _, style := range []int{styleStar, styleUnderscore, styleHTML, styleHTMLCode} {
		s := renderInline(content, ctx, style)
		if style == styleStar {
			first = s
		}
		if inlineRoundTrips(s, ctx, content) {
			return s
		}
	}
	return first
}

// hasStyledMarks reports whether content has marks whose syntax the
// styles write differently.
func hasStyledMarks(content []Node) bool {
	for i := range content {
		for _, m := range content[i].Marks {
			switch m.Type {
			case "bold", "italic", "strike", "code":
				return true
			}
		}
		if content[i].Type == "hardBreak" {
			return true
		}
	}
	return false
}

// normalizeInlineText replaces newlines in text, which Markdown reads as
// spaces, by spaces.
func normalizeInlineText(content []Node) []Node {
	changed := false
	for i := range content {
		if content[i].IsText() && strings.ContainsAny(content[i].Text, "\r\n") {
			changed = true
		}
	}
	if !changed {
		return content
	}
	out := make([]Node, 0, len(content))
	for _, n := range content {
		if n.IsText() {
			n.Text = strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ").Replace(n.Text)
		}
		out = appendNodes(out, n)
	}
	return out
}

func inlineRoundTrips(s string, ctx int, want []Node) bool {
	var src string
	switch ctx {
	case ctxHeading:
		src = "# " + s
	case ctxCell:
		src = "| " + s + " |\n| --- |\n"
	default:
		src = s
	}
	doc, err := ParseMarkdown([]byte(src), Limits{})
	if err != nil || len(doc.Content) != 1 {
		return false
	}
	got := &doc.Content[0]
	switch ctx {
	case ctxHeading:
		if got.Type != "heading" {
			return false
		}
	case ctxCell:
		if got.Type != "table" || len(got.Content) != 1 || len(got.Content[0].Content) != 1 {
			return false
		}
		got = &got.Content[0].Content[0]
		if len(got.Content) != 1 {
			return false
		}
		got = &got.Content[0]
	default:
		if got.Type != "paragraph" {
			return false
		}
	}
	if len(got.Content) != len(want) {
		return false
	}
	for i := range want {
		if !got.Content[i].Equal(&want[i]) {
			return false
		}
	}
	return true
}

// ExpelMarkWhitespace moves whitespace at the start and end of bold,
// italic and strikethrough ranges outside the mark, which is how Markdown
// output normalizes such text.
func ExpelMarkWhitespace(content []Node) []Node {
	out := content
	for _, name := range []string{"bold", "italic", "strike"} {
		out = expelMark(out, name)
	}
	return out
}

func expelMark(content []Node, name string) []Node {
	var out []Node
	i := 0
	for i < len(content) {
		if !hasMark(content[i].Marks, name) {
			out = appendNodes(out, content[i])
			i++
			continue
		}
		j := i
		for j < len(content) && hasMark(content[j].Marks, name) {
			j++
		}
		run := append([]Node(nil), content[i:j]...)
		var before, after []Node
		// Leading whitespace.
		for len(run) > 0 && run[0].IsText() {
			t := strings.TrimLeftFunc(run[0].Text, isMDSpace)
			if t == run[0].Text {
				break
			}
			ws := run[0].Text[:len(run[0].Text)-len(t)]
			before = appendNodes(before, Node{Type: "text", Text: ws, Marks: withoutMark(run[0].Marks, name)})
			if t == "" {
				run = run[1:]
				continue
			}
			run[0].Text = t
			break
		}
		for len(run) > 0 && run[len(run)-1].IsText() {
			last := &run[len(run)-1]
			t := strings.TrimRightFunc(last.Text, isMDSpace)
			if t == last.Text {
				break
			}
			ws := last.Text[len(t):]
			after = append([]Node{{Type: "text", Text: ws, Marks: withoutMark(last.Marks, name)}}, after...)
			if t == "" {
				run = run[:len(run)-1]
				continue
			}
			last.Text = t
			break
		}
		out = appendNodes(out, before...)
		out = appendNodes(out, run...)
		out = appendNodes(out, after...)
		i = j
	}
	return out
}

func withoutMark(marks []Mark, name string) []Mark {
	var out []Mark
	for _, m := range marks {
		if m.Type != name {
			out = append(out, m)
		}
	}
	return out
}

// isMDSpace is CommonMark's Unicode whitespace, which decides flanking.
func isMDSpace(r rune) bool {
	return r == '\t' || r == '\n' || r == '\f' || r == '\r' || unicode.Is(unicode.Zs, r)
}

const (
	styleStar = iota
	styleUnderscore
	styleHTML
	// styleHTMLCode also writes code as <code> with escaped text, for
	// code spans that a neighbour's autolink would swallow.
	styleHTMLCode
)

func renderInline(content []Node, ctx int, style int) string {
	var b strings.Builder
	var active []Mark
	var closers []string
	for i := range content {
		n := &content[i]
		marks := mdMarks(n.Marks)
		keep := 0
		for keep < len(active) && keep < len(marks) && marks[keep].Equal(active[keep]) {
			keep++
		}
		for len(active) > keep {
			b.WriteString(closers[len(closers)-1])
			closers = closers[:len(closers)-1]
			active = active[:len(active)-1]
		}
		for _, m := range marks[keep:] {
			if m.Type == "code" && style != styleHTMLCode {
				continue
			}
			open, close := markDelims(m, style)
			b.WriteString(open)
			closers = append(closers, close)
			active = append(active, m)
		}
		switch {
		case n.IsText() && hasMark(n.Marks, "code") && style != styleHTMLCode:
			b.WriteString(codeSpan(n.Text, ctx))
		case n.IsText():
			t := escapeText(n.Text, ctx)
			if len(marks) > 0 && marks[0].Type == "link" && strings.TrimSpace(n.Text) == "" {
				// "[ ](" at the start of a list item reads as a task checkbox.
				t = escapeEdgeSpace(t, true)
			}
			if strings.HasSuffix(t, "!") {
				// "!" before a link's "[" would make an image.
				t = t[:len(t)-1] + "\\!"
			}
			b.WriteString(t)
		case n.Type == "hardBreak":
			// A backslash hard break works only inside a paragraph, not at
			// its edges, and goldmark misreads one after a backslash.
			if ctx != ctxParagraph || i == 0 || i == len(content)-1 || style >= styleHTML || strings.HasSuffix(b.String(), "\\") {
				b.WriteString("<br>")
			} else {
				b.WriteString("\\\n")
			}
		}
		if hasMark(n.Marks, "code") && style != styleHTMLCode {
			// A code span is complete in itself.
			for len(active) > keep && active[len(active)-1].Type == "code" {
				active = active[:len(active)-1]
				closers = closers[:len(closers)-1]
			}
		}
	}
	for len(closers) > 0 {
		b.WriteString(closers[len(closers)-1])
		closers = closers[:len(closers)-1]
	}
	s := b.String()
	if ctx == ctxParagraph {
		lines := strings.Split(s, "\n")
		for i, l := range lines {
			lines[i] = escapeLineStart(l)
		}
		s = strings.Join(lines, "\n")
	} else {
		s = escapeEdgeSpace(s, true)
	}
	return escapeEdgeSpace(s, false)
}

// mdMarks returns the marks Markdown writes: known ones, links only with
// safe targets.
func mdMarks(marks []Mark) []Mark {
	var out []Mark
	for _, m := range marks {
		if tiptap.marks[m.Type] == nil {
			continue
		}
		if m.Type == "link" {
			href, _ := m.Attrs["href"].(string)
			if !SafeLinkURL(href) || href == "" {
				continue
			}
		}
		out = append(out, m)
	}
	return out
}

func markDelims(m Mark, style int) (string, string) {
	switch m.Type {
	case "link":
		href, _ := m.Attrs["href"].(string)
		close := "](" + mdDestination(href)
		if title, ok := m.Attrs["title"].(string); ok {
			close += " " + mdTitle(title)
		}
		return "[", close + ")"
	case "underline":
		return "<u>", "</u>"
	}
	if style >= styleHTML {
		tag := markTag(m.Type)
		return "<" + tag + ">", "</" + tag + ">"
	}
	switch m.Type {
	case "bold":
		if style == styleUnderscore {
			return "__", "__"
		}
		return "**", "**"
	case "italic":
		if style == styleUnderscore {
			return "_", "_"
		}
		return "*", "*"
	case "strike":
		return "~~", "~~"
	}
	return "", ""
}

func codeSpan(s string, ctx int) string {
	if ctx == ctxCell {
		s = strings.ReplaceAll(s, "|", "\\|")
	}
	runs := map[int]bool{}
	run := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] == '`' {
			run++
			continue
		}
		if run > 0 {
			runs[run] = true
		}
		run = 0
	}
	n := 1
	for runs[n] {
		n++
	}
	fence := strings.Repeat("`", n)
	pad := strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") ||
		(strings.HasPrefix(s, " ") && strings.HasSuffix(s, " ") && strings.Trim(s, " ") != "")
	if pad {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// escapeText escapes what Markdown would read as syntax inside a line.
func escapeText(s string, ctx int) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		_, size := utf8.DecodeRuneInString(s[i:])
		c := s[i]
		switch {
		case c == '\\' || c == '*' || c == '_' || c == '`' || c == '[' || c == ']' || c == '~':
			b.WriteByte('\\')
		case c == '#' && ctx == ctxHeading:
			b.WriteByte('\\')
		case c == '|' && ctx == ctxCell:
			b.WriteByte('\\')
		case c == '<' && i+1 < len(s) && (isASCIILetter(s[i+1]) || strings.IndexByte("/!?", s[i+1]) >= 0):
			b.WriteByte('\\')
		case c == '&' && entityAt(s, i):
			b.WriteByte('\\')
		case c == '@' && i > 0 && isEmailChar(s[i-1]) && i+1 < len(s) && isASCIIAlnum(s[i+1]):
			b.WriteByte('\\')
		case c == ':' && strings.HasPrefix(s[i:], "://") && i > 0 && isASCIILetter(s[i-1]):
			b.WriteByte('\\')
		case c == '.' && i >= 3 && strings.EqualFold(s[i-3:i], "www") && (i == 3 || !isASCIIAlnum(s[i-4])):
			b.WriteByte('\\')
		}
		b.WriteString(s[i : i+size])
		i += size
	}
	return b.String()
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isASCIIAlnum(c byte) bool  { return isASCIILetter(c) || c >= '0' && c <= '9' }
func isEmailChar(c byte) bool   { return isASCIIAlnum(c) || strings.IndexByte(".+-_", c) >= 0 }

var orderedMarker = regexp.MustCompile(`^([0-9]{1,9})([.)])`)

// escapeLineStart escapes a paragraph line that would start a block.
func escapeLineStart(l string) string {
	if l == "" {
		return l
	}
	switch l[0] {
	case '#', '>', '-', '+', '=', '|':
		return "\\" + l
	}
	if m := orderedMarker.FindStringSubmatch(l); m != nil {
		return m[1] + "\\" + l[len(m[1]):]
	}
	return escapeEdgeSpace(l, true)
}

// escapeEdgeSpace writes a leading (or trailing) space or tab as a
// character reference, since Markdown strips it.
func escapeEdgeSpace(s string, leading bool) string {
	if s == "" {
		return s
	}
	if leading {
		switch s[0] {
		case ' ':
			return "&#32;" + s[1:]
		case '\t':
			return "&#9;" + s[1:]
		}
		return s
	}
	switch s[len(s)-1] {
	case ' ':
		return s[:len(s)-1] + "&#32;"
	case '\t':
		return s[:len(s)-1] + "&#9;"
	}
	return s
}

var needsAngle = regexp.MustCompile(`[\s<>\x00-\x1f\x7f]`)

func mdDestination(href string) string {
	if href == "" {
		return "<>"
	}
	balanced := 0
	ok := true
	for _, c := range href {
		if c == '(' {
			balanced++
		} else if c == ')' {
			balanced--
			if balanced < 0 {
				ok = false
			}
		}
	}
	if balanced != 0 {
		ok = false
	}
	var b strings.Builder
	if needsAngle.MatchString(href) || !ok {
		b.WriteByte('<')
		for i := 0; i < len(href); i++ {
			c := href[i]
			switch {
			case c == '\n':
				b.WriteString("%0A")
				continue
			case c == '\r':
				b.WriteString("%0D")
				continue
			case c == '<' || c == '>' || c == '\\' || c == '&' && entityAt(href, i):
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		}
		b.WriteByte('>')
		return b.String()
	}
	for i := 0; i < len(href); i++ {
		c := href[i]
		if c == '\\' || c == '(' || c == ')' || c == '&' && entityAt(href, i) || c == '*' || c == '_' || c == '`' || c == '~' {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String()
}

func mdTitle(t string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c == '"' || c == '\\' || c == '&' && entityAt(t, i):
			b.WriteByte('\\')
		case c == '\n':
			b.WriteString("&#10;")
			continue
		case c == '\r':
			b.WriteString("&#13;")
			continue
		}
		b.WriteByte(c)
	}
	b.WriteByte('"')
	return b.String()
}
