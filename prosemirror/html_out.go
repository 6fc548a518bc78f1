package prosemirror

import (
	"strconv"
	"strings"
)

// ToHTML renders doc as HTML the way Tiptap's getHTML (generateHTML) does
// for the same document, so that exports and the REST API show what the
// editor shows. Text and attribute values are escaped; links whose target
// is not a [SafeLinkURL] get an empty href (as Tiptap renders links its
// isAllowedUri refuses) and images whose source is not a [SafeImageURL]
// are left out. Unknown node types render their content; unknown marks
// are ignored. The output is safe to embed in a page.
func ToHTML(doc Node) string {
	var w htmlWriter
	w.fragment(doc.Content, 0)
	return w.b.String()
}

type htmlWriter struct {
	b strings.Builder
}

// maxRenderDepth stops rendering of documents nested deeper than any
// valid one; documents read from Yjs are not validated first.
const maxRenderDepth = 1000

// fragment renders nodes keeping marks open across neighbours that share
// them, as ProseMirror's DOMSerializer.serializeFragment does.
func (w *htmlWriter) fragment(nodes []Node, depth int) {
	var active []Mark
	for i := range nodes {
		n := &nodes[i]
		marks := knownMarks(n.Marks)
		if len(active) > 0 || len(marks) > 0 {
			keep := 0
			for keep < len(active) && keep < len(marks) && marks[keep].Equal(active[keep]) {
				keep++
			}
			for len(active) > keep {
				w.closeMark(active[len(active)-1])
				active = active[:len(active)-1]
			}
			for _, m := range marks[keep:] {
				w.openMark(m)
				active = append(active, m)
			}
		}
		w.node(n, depth)
	}
	for len(active) > 0 {
		w.closeMark(active[len(active)-1])
		active = active[:len(active)-1]
	}
}

func knownMarks(marks []Mark) []Mark {
	for _, m := range marks {
		if tiptap.marks[m.Type] == nil {
			out := make([]Mark, 0, len(marks))
			for _, m := range marks {
				if tiptap.marks[m.Type] != nil {
					out = append(out, m)
				}
			}
			return out
		}
	}
	return marks
}

func (w *htmlWriter) openMark(m Mark) {
	switch m.Type {
	case "link":
		// Tiptap merges its option defaults (target, rel, class) before
		// the node's attributes, which fixes this order.
		w.b.WriteString("<a")
		w.attr("target", m.Attrs["target"])
		w.attr("rel", m.Attrs["rel"])
		w.attr("class", m.Attrs["class"])
		if href, ok := m.Attrs["href"].(string); ok {
			if !SafeLinkURL(href) {
				href = ""
			}
			w.attr("href", href)
		}
		w.attr("title", m.Attrs["title"])
		w.b.WriteByte('>')
	default:
		w.b.WriteString("<" + markTag(m.Type) + ">")
	}
}

func (w *htmlWriter) closeMark(m Mark) {
	w.b.WriteString("</" + markTag(m.Type) + ">")
}

func markTag(name string) string {
	switch name {
	case "link":
		return "a"
	case "bold":
		return "strong"
	case "italic":
		return "em"
	case "strike":
		return "s"
	case "underline":
		return "u"
	case "code":
		return "code"
	}
	return "span"
}

func (w *htmlWriter) node(n *Node, depth int) {
	if depth > maxRenderDepth {
		return
	}
	inner := func() { w.fragment(n.Content, depth+1) }
	simple := func(tag string) {
		w.b.WriteString("<" + tag + ">")
		inner()
		w.b.WriteString("</" + tag + ">")
	}
	switch n.Type {
	case "text":
		w.text(n.Text)
	case "paragraph":
		simple("p")
	case "heading":
		level := 1
		if f, ok := toFloat(n.Attrs["level"]); ok && f >= 1 && f <= 6 && f == float64(int(f)) {
			level = int(f)
		}
		simple("h" + strconv.Itoa(level))
	case "blockquote":
		simple("blockquote")
	case "bulletList":
		simple("ul")
	case "listItem":
		simple("li")
	case "orderedList":
		w.b.WriteString("<ol")
		if start, ok := toFloat(n.Attrs["start"]); ok && start != 1 {
			w.attr("start", start)
		}
		if typ, ok := n.Attrs["type"].(string); ok && typ != "1" {
			w.attr("type", typ)
		}
		w.b.WriteByte('>')
		inner()
		w.b.WriteString("</ol>")
	case "codeBlock":
		w.b.WriteString("<pre><code")
		if lang, ok := n.Attrs["language"].(string); ok && lang != "" {
			w.attr("class", "language-"+lang)
		}
		w.b.WriteByte('>')
		inner()
		w.b.WriteString("</code></pre>")
	case "horizontalRule":
		w.b.WriteString("<hr>")
	case "hardBreak":
		w.b.WriteString("<br>")
	case "taskList":
		w.b.WriteString(`<ul data-type="taskList">`)
		inner()
		w.b.WriteString("</ul>")
	case "taskItem":
		checked := n.Attrs["checked"] == true
		w.b.WriteString(`<li data-checked="` + strconv.FormatBool(checked) + `" data-type="taskItem"><label><input type="checkbox"`)
		if checked {
			w.b.WriteString(` checked="checked"`)
		}
		w.b.WriteString("><span></span></label><div>")
		inner()
		w.b.WriteString("</div></li>")
	case "table":
		w.table(n, depth)
	case "tableRow":
		simple("tr")
	case "tableHeader", "tableCell":
		tag := "td"
		if n.Type == "tableHeader" {
			tag = "th"
		}
		w.b.WriteString("<" + tag)
		for _, k := range []string{"colspan", "rowspan"} {
			if f, ok := toFloat(n.Attrs[k]); ok && f != 1 {
				w.attr(k, f)
			}
		}
		if cw, ok := n.Attrs["colwidth"].([]any); ok {
			parts := make([]string, len(cw))
			for i, v := range cw {
				if f, ok := toFloat(v); ok {
					parts[i] = formatNumber(f)
				}
			}
			w.attr("colwidth", strings.Join(parts, ","))
		}
		switch a := n.Attrs["align"]; a {
		case "left", "right", "center":
			w.attr("style", "text-align: "+a.(string)+";")
		}
		w.b.WriteByte('>')
		inner()
		w.b.WriteString("</" + tag + ">")
	case "image":
		src, _ := n.Attrs["src"].(string)
		if !SafeImageURL(src) {
			return
		}
		w.b.WriteString("<img")
		for _, k := range []string{"src", "alt", "title", "width", "height"} {
			w.attr(k, n.Attrs[k])
		}
		w.b.WriteByte('>')
	default:
		inner()
	}
}

// table renders the colgroup and width style that Tiptap's Table
// extension computes from the first row's column widths.
func (w *htmlWriter) table(n *Node, depth int) {
	const cellMinWidth = 25
	total, fixed := 0.0, true
	var cols []string
	if len(n.Content) > 0 {
		for _, cell := range n.Content[0].Content {
			span := 1
			if f, ok := toFloat(cell.Attrs["colspan"]); ok && f >= 1 {
				span = int(min(f, maxSpan))
			}
			widths, _ := cell.Attrs["colwidth"].([]any)
			for j := 0; j < span; j++ {
				var width float64
				if j < len(widths) {
					width, _ = toFloat(widths[j])
				}
				if width > 0 {
					total += width
					cols = append(cols, "width: "+formatNumber(max(width, cellMinWidth))+"px;")
				} else {
					total += cellMinWidth
					fixed = false
					cols = append(cols, "min-width: "+strconv.Itoa(cellMinWidth)+"px;")
				}
			}
		}
	}
	w.b.WriteString("<table")
	if len(n.Content) > 0 {
		if fixed {
			w.attr("style", "width: "+formatNumber(total)+"px;")
		} else {
			w.attr("style", "min-width: "+formatNumber(total)+"px;")
		}
	}
	w.b.WriteString("><colgroup>")
	for _, c := range cols {
		w.b.WriteString(`<col style="` + c + `">`)
	}
	w.b.WriteString("</colgroup><tbody>")
	w.fragment(n.Content, depth+1)
	w.b.WriteString("</tbody></table>")
}

// attr writes name="value" unless value is null; numbers and booleans are
// written as JavaScript's String() would.
func (w *htmlWriter) attr(name string, v any) {
	var s string
	switch v := v.(type) {
	case nil:
		return
	case string:
		s = v
	case bool:
		s = strconv.FormatBool(v)
	default:
		f, ok := toFloat(v)
		if !ok {
			return
		}
		s = formatNumber(f)
	}
	w.b.WriteString(" " + name + `="`)
	escapeHTML(&w.b, s, true)
	w.b.WriteByte('"')
}

func (w *htmlWriter) text(s string) { escapeHTML(&w.b, s, false) }

// escapeHTML escapes as the HTML serialization algorithm does (&, <, >
// and no-break space in text; & and " in attributes), and additionally <
// and > in attributes so that output never carries markup in an attribute.
func escapeHTML(b *strings.Builder, s string, attr bool) {
	last := 0
	for i := 0; i < len(s); i++ {
		var rep string
		switch s[i] {
		case '&':
			rep = "&amp;"
		case '<':
			rep = "&lt;"
		case '>':
			rep = "&gt;"
		case '"':
			if !attr {
				continue
			}
			rep = "&quot;"
		case 0xC2:
			if attr || i+1 >= len(s) || s[i+1] != 0xA0 {
				continue
			}
			b.WriteString(s[last:i])
			b.WriteString("&nbsp;")
			i++
			last = i + 1
			continue
		default:
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(rep)
		last = i + 1
	}
	b.WriteString(s[last:])
}

func formatNumber(f float64) string {
	if f == float64(int64(f)) && f < 1e21 && f > -1e21 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
