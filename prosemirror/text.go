package prosemirror

import "strings"

// ToText renders doc as plain text for search indexing and text export.
// Each textblock (paragraph, heading, code block) is a block of text and
// hard breaks are newlines. Blocks are separated by a blank line, except
// that the items of a list are separated by a single newline and a table
// is one line per row with cells separated by tabs. Images contribute
// their alt text; horizontal rules nothing. No markup is added.
func ToText(doc Node) string {
	s, _ := renderText(&doc, 0)
	return s
}

// renderText returns n's text and whether n produced a block at all.
func renderText(n *Node, depth int) (string, bool) {
	if depth > maxRenderDepth {
		return "", false
	}
	switch n.Type {
	case "text":
		return n.Text, true
	case "hardBreak":
		return "\n", true
	case "image":
		alt, _ := n.Attrs["alt"].(string)
		return alt, alt != ""
	case "horizontalRule":
		return "", false
	}
	if t := tiptap.nodes[n.Type]; t != nil && t.isTextblock() {
		var b strings.Builder
		for i := range n.Content {
			s, _ := renderText(&n.Content[i], depth+1)
			b.WriteString(s)
		}
		return b.String(), true
	}
	sep := "\n\n"
	switch n.Type {
	case "bulletList", "orderedList", "taskList", "listItem", "taskItem", "table":
		sep = "\n"
	case "tableRow":
		sep = "\t"
	case "tableHeader", "tableCell":
		sep = " "
	}
	var parts []string
	for i := range n.Content {
		if s, ok := renderText(&n.Content[i], depth+1); ok {
			parts = append(parts, s)
		}
	}
	s := strings.Join(parts, sep)
	if n.Type == "tableHeader" || n.Type == "tableCell" {
		// A row stays one line.
		s = strings.NewReplacer("\n", " ", "\t", " ").Replace(s)
		return s, true
	}
	return s, len(parts) > 0
}
