package prosemirror

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Content expressions ("paragraph block*", "(tableCell | tableHeader)*")
// compile to a deterministic automaton the way ProseMirror's ContentMatch
// does: a Thompson NFA turned into a DFA whose edges keep the order in
// which the expression names types. That order matters: the first edge is
// the type ProseMirror creates to fill required content (paragraph for
// "block+"), and wrapping searches try edges in order.

type contentMatch struct {
	validEnd bool
	next     []matchEdge
	wrapping map[*nodeType]wrapResult
}

type wrapResult struct {
	types []*nodeType
	ok    bool
}

type matchEdge struct {
	typ  *nodeType
	next *contentMatch
}

var emptyMatch = &contentMatch{validEnd: true}

func (m *contentMatch) matchType(t *nodeType) *contentMatch {
	for _, e := range m.next {
		if e.typ == t {
			return e.next
		}
	}
	return nil
}

// matchNodes follows the types of nodes; it returns nil if some node does
// not fit or its type is unknown.
func (m *contentMatch) matchNodes(nodes []Node) *contentMatch {
	cur := m
	for i := range nodes {
		t := tiptap.nodes[nodes[i].Type]
		if t == nil {
			return nil
		}
		if cur = cur.matchType(t); cur == nil {
			return nil
		}
	}
	return cur
}

// defaultType is the first type that may come next and can be created
// without input (not text).
func (m *contentMatch) defaultType() *nodeType {
	for _, e := range m.next {
		if !e.typ.isText() {
			return e.typ
		}
	}
	return nil
}

// fillBefore finds nodes to insert before after so that after fits (and,
// with toEnd, so that the content can end there). ok is false when nothing
// fits.
func (m *contentMatch) fillBefore(after []Node, toEnd bool) (fill []Node, ok bool) {
	seen := []*contentMatch{m}
	var search func(match *contentMatch, types []*nodeType) ([]Node, bool)
	search = func(match *contentMatch, types []*nodeType) ([]Node, bool) {
		if finished := match.matchNodes(after); finished != nil && (!toEnd || finished.validEnd) {
			out := make([]Node, 0, len(types))
			for _, t := range types {
				n, ok := createAndFill(t, nil, nil, nil)
				if !ok {
					return nil, false
				}
				out = append(out, n)
			}
			return out, true
		}
		for _, e := range match.next {
			if !e.typ.isText() && !slices.Contains(seen, e.next) {
				seen = append(seen, e.next)
				if found, ok := search(e.next, append(slices.Clip(types), e.typ)); ok {
					return found, true
				}
			}
		}
		return nil, false
	}
	return search(m, nil)
}

// findWrapping returns the node types to wrap a node of type target in so
// that it fits here (empty if it fits directly), or ok false.
func (m *contentMatch) findWrapping(target *nodeType) (wrap []*nodeType, ok bool) {
	w := m.wrapping[target]
	return w.types, w.ok
}

// precomputeWrappings fills every state's wrapping table so that lookups
// later are read-only and safe for concurrent use.
func precomputeWrappings(s *schema) {
	seen := map[*contentMatch]bool{}
	var visit func(m *contentMatch)
	visit = func(m *contentMatch) {
		if seen[m] {
			return
		}
		seen[m] = true
		m.wrapping = map[*nodeType]wrapResult{}
		for _, e := range m.next {
			visit(e.next)
		}
	}
	for _, t := range s.nodeList {
		visit(t.content)
	}
	for m := range seen {
		for _, t := range s.nodeList {
			types, ok := m.computeWrapping(t)
			m.wrapping[t] = wrapResult{types, ok}
		}
	}
}

func (m *contentMatch) computeWrapping(target *nodeType) ([]*nodeType, bool) {
	type step struct {
		match *contentMatch
		typ   *nodeType
		via   *step
	}
	seen := map[*nodeType]bool{}
	active := []*step{{match: m}}
	for len(active) > 0 {
		cur := active[0]
		active = active[1:]
		if cur.match.matchType(target) != nil {
			var out []*nodeType
			for s := cur; s.typ != nil; s = s.via {
				out = append(out, s.typ)
			}
			slices.Reverse(out)
			return out, true
		}
		for _, e := range cur.match.next {
			if !e.typ.isLeaf() && !seen[e.typ] && (cur.typ == nil || e.next.validEnd) {
				active = append(active, &step{match: e.typ.content, typ: e.typ, via: cur})
				seen[e.typ] = true
			}
		}
	}
	return nil, false
}

// createAndFill builds a node of type t around content, adding whatever
// required nodes are missing before and after it, as ProseMirror's
// NodeType.createAndFill does.
func createAndFill(t *nodeType, attrs map[string]any, content []Node, marks []Mark) (Node, bool) {
	attrs = computeAttrs(t.attrs, attrs)
	if len(content) > 0 {
		before, ok := t.content.fillBefore(content, false)
		if !ok {
			return Node{}, false
		}
		content = appendNodes(before, content...)
	}
	matched := t.content.matchNodes(content)
	if matched == nil {
		return Node{}, false
	}
	after, ok := matched.fillBefore(nil, true)
	if !ok {
		return Node{}, false
	}
	return Node{Type: t.name, Attrs: attrs, Content: appendNodes(content, after...), Marks: marks}, true
}

// appendNodes appends nodes to list, joining adjacent text nodes with the
// same marks as ProseMirror's Fragment does.
func appendNodes(list []Node, nodes ...Node) []Node {
	for _, n := range nodes {
		if n.IsText() && len(list) > 0 {
			last := &list[len(list)-1]
			if last.IsText() && marksEqual(last.Marks, n.Marks) {
				last.Text += n.Text
				continue
			}
		}
		list = append(list, n)
	}
	return list
}

func marksEqual(a, b []Mark) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Equal(b[i]) {
			return false
		}
	}
	return true
}

// addMark adds m to the sorted set as ProseMirror's Mark.addToSet does:
// marks that m excludes leave, m is not added if a mark already there
// excludes it, and the set stays ordered by rank.
func addMark(set []Mark, m Mark) []Mark {
	mt := tiptap.marks[m.Type]
	var out []Mark
	copied, placed := false, false
	for i, other := range set {
		if m.Equal(other) {
			return set
		}
		ot := tiptap.marks[other.Type]
		switch {
		case mt.excludesType(ot):
			if !copied {
				out = slices.Clone(set[:i])
				copied = true
			}
		case ot.excludesType(mt):
			return set
		default:
			if !placed && ot.rank > mt.rank {
				if !copied {
					out = slices.Clone(set[:i])
					copied = true
				}
				out = append(out, m)
				placed = true
			}
			if copied {
				out = append(out, other)
			}
		}
	}
	if !copied {
		out = slices.Clone(set)
	}
	if !placed {
		out = append(out, m)
	}
	return out
}

func hasMark(set []Mark, name string) bool {
	for _, m := range set {
		if m.Type == name {
			return true
		}
	}
	return false
}

// Content expression syntax, as ProseMirror's: choices with |, sequences
// by juxtaposition, postfix * + ? and {n,m}, parentheses, and names of
// node types or groups.

type exprKind int

const (
	exprChoice exprKind = iota
	exprSeq
	exprStar
	exprPlus
	exprOpt
	exprRange
	exprName
)

type contentExpr struct {
	kind     exprKind
	exprs    []*contentExpr
	expr     *contentExpr
	min, max int // max -1: unbounded
	typ      *nodeType
}

type exprStream struct {
	tokens []string
	pos    int
	s      *schema
	src    string
}

func (st *exprStream) peek() string {
	if st.pos < len(st.tokens) {
		return st.tokens[st.pos]
	}
	return ""
}

func (st *exprStream) eat(tok string) bool {
	if st.peek() == tok {
		st.pos++
		return true
	}
	return false
}

func tokenizeExpr(src string) []string {
	var out []string
	i := 0
	for i < len(src) {
		c := rune(src[i])
		switch {
		case unicode.IsSpace(c):
			i++
		case strings.ContainsRune("()|*+?{},", c):
			out = append(out, string(c))
			i++
		default:
			j := i
			for j < len(src) && !strings.ContainsRune("()|*+?{}, \t\n", rune(src[j])) {
				j++
			}
			out = append(out, src[i:j])
			i = j
		}
	}
	return out
}

func parseContentExpr(src string, s *schema) (*contentExpr, error) {
	st := &exprStream{tokens: tokenizeExpr(src), s: s, src: src}
	e, err := st.parseChoice()
	if err != nil {
		return nil, err
	}
	if st.pos != len(st.tokens) {
		return nil, fmt.Errorf("prosemirror: unexpected trailing input in content expression %q", src)
	}
	return e, nil
}

func (st *exprStream) parseChoice() (*contentExpr, error) {
	var exprs []*contentExpr
	for {
		e, err := st.parseSeq()
		if err != nil {
			return nil, err
		}
		exprs = append(exprs, e)
		if !st.eat("|") {
			break
		}
	}
	if len(exprs) == 1 {
		return exprs[0], nil
	}
	return &contentExpr{kind: exprChoice, exprs: exprs}, nil
}

func (st *exprStream) parseSeq() (*contentExpr, error) {
	var exprs []*contentExpr
	for {
		e, err := st.parseSubscript()
		if err != nil {
			return nil, err
		}
		exprs = append(exprs, e)
		if p := st.peek(); p == "" || p == ")" || p == "|" {
			break
		}
	}
	if len(exprs) == 1 {
		return exprs[0], nil
	}
	return &contentExpr{kind: exprSeq, exprs: exprs}, nil
}

func (st *exprStream) parseSubscript() (*contentExpr, error) {
	e, err := st.parseAtom()
	if err != nil {
		return nil, err
	}
	for {
		switch {
		case st.eat("+"):
			e = &contentExpr{kind: exprPlus, expr: e}
		case st.eat("*"):
			e = &contentExpr{kind: exprStar, expr: e}
		case st.eat("?"):
			e = &contentExpr{kind: exprOpt, expr: e}
		case st.eat("{"):
			lo, err := st.parseNum()
			if err != nil {
				return nil, err
			}
			hi := lo
			if st.eat(",") {
				if st.peek() != "}" {
					if hi, err = st.parseNum(); err != nil {
						return nil, err
					}
				} else {
					hi = -1
				}
			}
			if !st.eat("}") {
				return nil, fmt.Errorf("prosemirror: unclosed braced range in %q", st.src)
			}
			e = &contentExpr{kind: exprRange, expr: e, min: lo, max: hi}
		default:
			return e, nil
		}
	}
}

func (st *exprStream) parseNum() (int, error) {
	n, err := strconv.Atoi(st.peek())
	if err != nil {
		return 0, fmt.Errorf("prosemirror: expected number in %q", st.src)
	}
	st.pos++
	return n, nil
}

func (st *exprStream) parseAtom() (*contentExpr, error) {
	if st.eat("(") {
		e, err := st.parseChoice()
		if err != nil {
			return nil, err
		}
		if !st.eat(")") {
			return nil, fmt.Errorf("prosemirror: missing closing paren in %q", st.src)
		}
		return e, nil
	}
	name := st.peek()
	if name == "" || strings.ContainsAny(name, "()|*+?{},") {
		return nil, fmt.Errorf("prosemirror: unexpected token %q in %q", name, st.src)
	}
	st.pos++
	var types []*nodeType
	if t := st.s.nodes[name]; t != nil {
		types = []*nodeType{t}
	} else {
		for _, t := range st.s.nodeList {
			if t.inGroup(name) {
				types = append(types, t)
			}
		}
	}
	if len(types) == 0 {
		return nil, fmt.Errorf("prosemirror: no node type or group %q", name)
	}
	exprs := make([]*contentExpr, len(types))
	for i, t := range types {
		exprs[i] = &contentExpr{kind: exprName, typ: t}
	}
	if len(exprs) == 1 {
		return exprs[0], nil
	}
	return &contentExpr{kind: exprChoice, exprs: exprs}, nil
}

type nfaEdge struct {
	term *nodeType // nil: epsilon
	to   int
}

// compileContent builds the NFA and converts it to a DFA.
func compileContent(e *contentExpr) *contentMatch {
	nfa := [][]*nfaEdge{{}}
	node := func() int { nfa = append(nfa, nil); return len(nfa) - 1 }
	edge := func(from, to int, term *nodeType) *nfaEdge {
		ed := &nfaEdge{term: term, to: to}
		nfa[from] = append(nfa[from], ed)
		return ed
	}
	connect := func(edges []*nfaEdge, to int) {
		for _, ed := range edges {
			ed.to = to
		}
	}
	var compile func(e *contentExpr, from int) []*nfaEdge
	compile = func(e *contentExpr, from int) []*nfaEdge {
		switch e.kind {
		case exprChoice:
			var out []*nfaEdge
			for _, c := range e.exprs {
				out = append(out, compile(c, from)...)
			}
			return out
		case exprSeq:
			for i := 0; ; i++ {
				next := compile(e.exprs[i], from)
				if i == len(e.exprs)-1 {
					return next
				}
				from = node()
				connect(next, from)
			}
		case exprStar:
			loop := node()
			edge(from, loop, nil)
			connect(compile(e.expr, loop), loop)
			return []*nfaEdge{edge(loop, 0, nil)}
		case exprPlus:
			loop := node()
			connect(compile(e.expr, from), loop)
			connect(compile(e.expr, loop), loop)
			return []*nfaEdge{edge(loop, 0, nil)}
		case exprOpt:
			return append([]*nfaEdge{edge(from, 0, nil)}, compile(e.expr, from)...)
		case exprRange:
			cur := from
			for i := 0; i < e.min; i++ {
				next := node()
				connect(compile(e.expr, cur), next)
				cur = next
			}
			if e.max == -1 {
				connect(compile(e.expr, cur), cur)
			} else {
				for i := e.min; i < e.max; i++ {
					next := node()
					edge(cur, next, nil)
					connect(compile(e.expr, cur), next)
					cur = next
				}
			}
			return []*nfaEdge{edge(cur, 0, nil)}
		default: // exprName
			return []*nfaEdge{edge(from, 0, e.typ)}
		}
	}
	edges := compile(e, 0)
	connect(edges, node())
	final := len(nfa) - 1

	nullFrom := func(start int) []int {
		var result []int
		var scan func(n int)
		scan = func(n int) {
			es := nfa[n]
			if len(es) == 1 && es[0].term == nil {
				scan(es[0].to)
				return
			}
			result = append(result, n)
			for _, ed := range es {
				if ed.term == nil && !slices.Contains(result, ed.to) {
					scan(ed.to)
				}
			}
		}
		scan(start)
		slices.Sort(result)
		return result
	}
	key := func(states []int) string {
		var b strings.Builder
		for i, s := range states {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(s))
		}
		return b.String()
	}
	labeled := map[string]*contentMatch{}
	var explore func(states []int) *contentMatch
	explore = func(states []int) *contentMatch {
		type group struct {
			term *nodeType
			set  []int
		}
		var out []*group
		for _, n := range states {
			for _, ed := range nfa[n] {
				if ed.term == nil {
					continue
				}
				var g *group
				for _, o := range out {
					if o.term == ed.term {
						g = o
					}
				}
				for _, s := range nullFrom(ed.to) {
					if g == nil {
						g = &group{term: ed.term}
						out = append(out, g)
					}
					if !slices.Contains(g.set, s) {
						g.set = append(g.set, s)
					}
				}
			}
		}
		state := &contentMatch{validEnd: slices.Contains(states, final)}
		labeled[key(states)] = state
		for _, g := range out {
			slices.Sort(g.set)
			next := labeled[key(g.set)]
			if next == nil {
				next = explore(g.set)
			}
			state.next = append(state.next, matchEdge{typ: g.term, next: next})
		}
		return state
	}
	return explore(nullFrom(0))
}
