package yjs

import (
	"fmt"
	"math"
	"math/big"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Values stored in Yjs documents ("any" content, map values, embeds,
// formatting attributes) are JavaScript values. Inside this package they are
// represented by these Go types:
//
//	nil          null
//	Undefined    undefined
//	bool         boolean
//	float64      number (every number, integral or not)
//	BigInt       bigint
//	string       string
//	[]byte       Uint8Array
//	[]any        Array
//	*object      Object, keys in JavaScript property order
//
// Methods that hand values out convert objects to map[string]any (see
// exportAny); methods that take values in accept more Go types (see
// normalizeAny).

// Undefined is JavaScript's undefined. It can be stored in arrays and maps,
// and ToJSON renders it as JSON does (null in arrays, omitted in objects).
var Undefined undefinedType

type undefinedType struct{}

func (undefinedType) String() string { return "undefined" }

// BigInt is a JavaScript bigint, encoded by lib0 as a signed 64-bit integer.
type BigInt int64

// Object is an ordered JSON object for callers who need to control the
// order in which keys are encoded. A map[string]any is accepted too; its keys
// are then sorted.
type Object []Field

// Field is one key of an Object.
type Field struct {
	Key   string
	Value any
}

// object is the internal form of a JavaScript object. Keys are unique and
// in JavaScript's own-property order: array indices ascending, then the
// other keys in insertion order.
type object struct {
	keys []string
	vals []any
}

func (o *object) get(key string) (any, bool) {
	for i, k := range o.keys {
		if k == key {
			return o.vals[i], true
		}
	}
	return nil, false
}

// objectBuilder builds an object with JavaScript assignment semantics: a
// repeated key keeps its first position and takes the last value.
type objectBuilder struct {
	o     *object
	index map[string]int
	// sawIndex records whether some key is an array index, which then
	// moves to the front.
	sawIndex bool
}

func newObjectBuilder(n int) objectBuilder {
	return objectBuilder{o: &object{keys: make([]string, 0, n), vals: make([]any, 0, n)}}
}

func (b *objectBuilder) set(key string, v any) {
	o := b.o
	if b.index == nil && len(o.keys) >= 16 {
		b.index = make(map[string]int, len(o.keys)*2)
		for i, k := range o.keys {
			b.index[k] = i
		}
	}
	if b.index != nil {
		if i, ok := b.index[key]; ok {
			o.vals[i] = v
			return
		}
		b.index[key] = len(o.keys)
	} else {
		for i, k := range o.keys {
			if k == key {
				o.vals[i] = v
				return
			}
		}
	}
	if !b.sawIndex && isArrayIndex(key) {
		b.sawIndex = true
	}
	o.keys = append(o.keys, key)
	o.vals = append(o.vals, v)
}

func (b *objectBuilder) done() *object {
	o := b.o
	if b.sawIndex {
		sortObjectKeys(o)
	}
	return o
}

// sortObjectKeys moves array-index keys to the front in numeric order,
// keeping the order of the other keys, as JavaScript enumerates them.
func sortObjectKeys(o *object) {
	type kv struct {
		k   string
		v   any
		idx uint64
		isI bool
	}
	all := make([]kv, len(o.keys))
	for i, k := range o.keys {
		all[i] = kv{k: k, v: o.vals[i]}
		if isArrayIndex(k) {
			all[i].isI = true
			all[i].idx, _ = strconv.ParseUint(k, 10, 64)
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if a.isI != b.isI {
			return a.isI
		}
		if a.isI {
			return a.idx < b.idx
		}
		return false
	})
	for i, e := range all {
		o.keys[i] = e.k
		o.vals[i] = e.v
	}
}

// isArrayIndex reports whether key is a canonical array index
// ("0" to "4294967294"), which JavaScript enumerates before other keys.
func isArrayIndex(key string) bool {
	if len(key) == 0 || len(key) > 10 {
		return false
	}
	if key[0] == '0' {
		return len(key) == 1
	}
	var n uint64
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + uint64(c-'0')
	}
	return n < 1<<32-1
}

// maxAnyDepth bounds the nesting of decoded values; JavaScript runs out of
// stack long before, so no Yjs peer can produce deeper values.
const maxAnyDepth = 2000

// appendAny appends v in lib0's writeAny format. The number rules are
// JavaScript's: integers of magnitude up to 2^31-1 as var-int, other numbers
// as float32 when that is exact, else float64.
func appendAny(dst []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(dst, 126)
	case undefinedType:
		return append(dst, 127)
	case bool:
		if v {
			return append(dst, 120)
		}
		return append(dst, 121)
	case float64:
		return appendAnyNumber(dst, v)
	case string:
		dst = append(dst, 119)
		return AppendVarString(dst, v)
	case BigInt:
		dst = append(dst, 122)
		return appendUint64BE(dst, uint64(v))
	case []byte:
		dst = append(dst, 116)
		return AppendVarBytes(dst, v)
	case []any:
		dst = append(dst, 117)
		dst = AppendVarUint(dst, uint64(len(v)))
		for _, e := range v {
			dst = appendAny(dst, e)
		}
		return dst
	case *object:
		dst = append(dst, 118)
		dst = AppendVarUint(dst, uint64(len(v.keys)))
		for i, k := range v.keys {
			dst = AppendVarString(dst, k)
			dst = appendAny(dst, v.vals[i])
		}
		return dst
	}
	// Values are normalized on the way in; anything else is a bug.
	panic(fmt.Sprintf("yjs: unexpected value of type %T", v))
}

func appendUint64BE(dst []byte, u uint64) []byte {
	return append(dst, byte(u>>56), byte(u>>48), byte(u>>40), byte(u>>32), byte(u>>24), byte(u>>16), byte(u>>8), byte(u))
}

func appendAnyNumber(dst []byte, f float64) []byte {
	if f == math.Trunc(f) && math.Abs(f) <= math.MaxInt32 {
		dst = append(dst, 125)
		return appendVarIntSign(dst, uint64(math.Abs(f)), math.Signbit(f))
	}
	if f32 := float32(f); float64(f32) == f || (math.IsInf(f, 0)) {
		dst = append(dst, 124)
		return appendFloat32(dst, f32)
	}
	dst = append(dst, 123)
	if f != f {
		// JavaScript has one NaN; V8 writes it with this bit pattern.
		return appendUint64BE(dst, 0x7ff8000000000000)
	}
	return appendFloat64(dst, f)
}

// readAny reads a value in lib0's writeAny format.
func (r *reader) readAny(depth int) any {
	if depth > maxAnyDepth {
		r.fail(malformed("value nested too deeply"))
		return nil
	}
	switch tag := r.uint8(); tag {
	case 127:
		return Undefined
	case 126:
		return nil
	case 125:
		abs, neg := r.varInt()
		f := float64(abs)
		if neg {
			f = -f
		}
		return f
	case 124:
		return float64(r.float32())
	case 123:
		return r.float64()
	case 122:
		return BigInt(r.int64())
	case 121:
		return false
	case 120:
		return true
	case 119:
		return r.varString()
	case 118:
		n := r.count(2)
		b := newObjectBuilder(min(n, 64))
		for i := 0; i < n && r.err == nil; i++ {
			k := r.varString()
			v := r.readAny(depth + 1)
			// Assigning __proto__ sets the prototype instead of a property.
			if k != "__proto__" {
				b.set(k, v)
			}
		}
		return b.done()
	case 117:
		n := r.count(1)
		a := make([]any, 0, min(n, 64))
		for i := 0; i < n && r.err == nil; i++ {
			a = append(a, r.readAny(depth+1))
		}
		return a
	case 116:
		return slices.Clone(r.varBytes())
	default:
		if r.err == nil {
			r.fail(malformed("unknown value tag %d", tag))
		}
		return nil
	}
}

// jsNumberString formats f like JavaScript's Number.prototype.toString.
func jsNumberString(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case f == 0:
		return "0"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	var sb strings.Builder
	if f < 0 {
		sb.WriteByte('-')
		f = -f
	}
	// Shortest digits that round-trip, as ECMAScript requires.
	e := strconv.FormatFloat(f, 'e', -1, 64)
	mant, expS, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	exp, _ := strconv.Atoi(expS)
	k := len(digits)
	n := exp + 1
	switch {
	case k <= n && n <= 21:
		sb.WriteString(digits)
		sb.WriteString(strings.Repeat("0", n-k))
	case 0 < n && n <= 21:
		sb.WriteString(digits[:n])
		sb.WriteByte('.')
		sb.WriteString(digits[n:])
	case -6 < n && n <= 0:
		sb.WriteString("0.")
		sb.WriteString(strings.Repeat("0", -n))
		sb.WriteString(digits)
	default:
		sb.WriteByte(digits[0])
		if k > 1 {
			sb.WriteByte('.')
			sb.WriteString(digits[1:])
		}
		sb.WriteByte('e')
		if n-1 >= 0 {
			sb.WriteByte('+')
		} else {
			sb.WriteByte('-')
		}
		sb.WriteString(strconv.Itoa(abs(n - 1)))
	}
	return sb.String()
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// jsString converts v like JavaScript's String(v), which is what yjs uses
// when it renders XML attributes.
func jsString(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case undefinedType:
		return "undefined"
	case bool:
		if v {
			return "true"
		}
		return "false"
	case float64:
		return jsNumberString(v)
	case BigInt:
		return strconv.FormatInt(int64(v), 10)
	case string:
		return v
	case []byte:
		parts := make([]string, len(v))
		for i, b := range v {
			parts[i] = strconv.Itoa(int(b))
		}
		return strings.Join(parts, ",")
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			if e == nil || e == Undefined {
				continue
			}
			parts[i] = jsString(e)
		}
		return strings.Join(parts, ",")
	case *ytype:
		return v.jsString()
	}
	return "[object Object]"
}

// errBigIntJSON is JSON.stringify's TypeError for bigints.
var errBigIntJSON = fmt.Errorf("yjs: a bigint cannot be serialized as JSON")

// appendJSON appends v as JavaScript's JSON.stringify renders it. ok is
// false for a top-level undefined, which JSON.stringify does not render.
func appendJSON(dst []byte, v any) (_ []byte, ok bool, err error) {
	switch v := v.(type) {
	case nil:
		return append(dst, "null"...), true, nil
	case undefinedType:
		return dst, false, nil
	case bool:
		if v {
			return append(dst, "true"...), true, nil
		}
		return append(dst, "false"...), true, nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return append(dst, "null"...), true, nil
		}
		return append(dst, jsNumberString(v)...), true, nil
	case BigInt:
		return dst, false, errBigIntJSON
	case string:
		return appendJSONString(dst, v), true, nil
	case []byte:
		// A Uint8Array stringifies as an object keyed by index.
		dst = append(dst, '{')
		for i, b := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '"')
			dst = strconv.AppendInt(dst, int64(i), 10)
			dst = append(dst, '"', ':')
			dst = strconv.AppendInt(dst, int64(b), 10)
		}
		return append(dst, '}'), true, nil
	case []any:
		dst = append(dst, '[')
		for i, e := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			var ok bool
			dst, ok, err = appendJSON(dst, e)
			if err != nil {
				return dst, false, err
			}
			if !ok {
				dst = append(dst, "null"...)
			}
		}
		return append(dst, ']'), true, nil
	case *object:
		dst = append(dst, '{')
		first := true
		for i, k := range v.keys {
			if v.vals[i] == Undefined {
				continue
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = appendJSONString(dst, k)
			dst = append(dst, ':')
			dst, _, err = appendJSON(dst, v.vals[i])
			if err != nil {
				return dst, false, err
			}
		}
		return append(dst, '}'), true, nil
	}
	panic(fmt.Sprintf("yjs: unexpected value of type %T", v))
}

func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"':
			dst = append(dst, '\\', '"')
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// parseJSON parses JSON text as JavaScript's JSON.parse does.
func parseJSON(s string) (any, error) {
	p := jsonParser{s: s}
	p.ws()
	v := p.value(0)
	p.ws()
	if p.err == nil && p.pos != len(p.s) {
		p.fail("unexpected data after JSON value")
	}
	if p.err != nil {
		return nil, p.err
	}
	return v, nil
}

type jsonParser struct {
	s   string
	pos int
	err error
}

func (p *jsonParser) fail(msg string) {
	if p.err == nil {
		p.err = malformed("JSON at offset %d: %s", p.pos, msg)
	}
	p.pos = len(p.s)
}

func (p *jsonParser) ws() {
	for p.pos < len(p.s) {
		switch p.s[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *jsonParser) value(depth int) any {
	if depth > maxAnyDepth {
		p.fail("nested too deeply")
		return nil
	}
	if p.pos >= len(p.s) {
		p.fail("unexpected end")
		return nil
	}
	switch c := p.s[p.pos]; {
	case c == '{':
		p.pos++
		b := newObjectBuilder(4)
		p.ws()
		if p.pos < len(p.s) && p.s[p.pos] == '}' {
			p.pos++
			return b.done()
		}
		for p.err == nil {
			p.ws()
			if p.pos >= len(p.s) || p.s[p.pos] != '"' {
				p.fail("expected string key")
				return nil
			}
			k := p.str()
			p.ws()
			if p.pos >= len(p.s) || p.s[p.pos] != ':' {
				p.fail("expected ':'")
				return nil
			}
			p.pos++
			p.ws()
			v := p.value(depth + 1)
			b.set(k, v)
			p.ws()
			if p.pos < len(p.s) && p.s[p.pos] == ',' {
				p.pos++
				continue
			}
			if p.pos < len(p.s) && p.s[p.pos] == '}' {
				p.pos++
				return b.done()
			}
			p.fail("expected ',' or '}'")
		}
		return nil
	case c == '[':
		p.pos++
		a := []any{}
		p.ws()
		if p.pos < len(p.s) && p.s[p.pos] == ']' {
			p.pos++
			return a
		}
		for p.err == nil {
			p.ws()
			a = append(a, p.value(depth+1))
			p.ws()
			if p.pos < len(p.s) && p.s[p.pos] == ',' {
				p.pos++
				continue
			}
			if p.pos < len(p.s) && p.s[p.pos] == ']' {
				p.pos++
				return a
			}
			p.fail("expected ',' or ']'")
		}
		return nil
	case c == '"':
		return p.str()
	case c == 't':
		return p.lit("true", true)
	case c == 'f':
		return p.lit("false", false)
	case c == 'n':
		return p.lit("null", nil)
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	}
	p.fail("unexpected character")
	return nil
}

func (p *jsonParser) lit(word string, v any) any {
	if strings.HasPrefix(p.s[p.pos:], word) {
		p.pos += len(word)
		return v
	}
	p.fail("invalid literal")
	return nil
}

func (p *jsonParser) number() any {
	start := p.pos
	s := p.s
	i := p.pos
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(s) && s[i] == '0' {
		i++
	} else if digits() == 0 {
		p.fail("invalid number")
		return nil
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			p.fail("invalid number")
			return nil
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			p.fail("invalid number")
			return nil
		}
	}
	p.pos = i
	f, err := strconv.ParseFloat(s[start:i], 64)
	if err != nil {
		// Out-of-range literals become ±Infinity as in JavaScript.
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f
		}
		p.fail("invalid number")
		return nil
	}
	return f
}

func (p *jsonParser) str() string {
	p.pos++ // opening quote
	s := p.s
	start := p.pos
	// Fast path: no escapes.
	for i := p.pos; i < len(s); i++ {
		c := s[i]
		if c == '"' {
			p.pos = i + 1
			return s[start:i]
		}
		if c == '\\' || c < 0x20 {
			break
		}
	}
	var sb strings.Builder
	i := start
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			p.pos = i + 1
			return sb.String()
		case c < 0x20:
			p.pos = i
			p.fail("control character in string")
			return ""
		case c != '\\':
			sb.WriteByte(c)
			i++
			continue
		}
		if i+1 >= len(s) {
			break
		}
		i++
		switch s[i] {
		case '"', '\\', '/':
			sb.WriteByte(s[i])
			i++
		case 'b':
			sb.WriteByte('\b')
			i++
		case 'f':
			sb.WriteByte('\f')
			i++
		case 'n':
			sb.WriteByte('\n')
			i++
		case 'r':
			sb.WriteByte('\r')
			i++
		case 't':
			sb.WriteByte('\t')
			i++
		case 'u':
			u, ok := hex4(s, i+1)
			if !ok {
				p.pos = i
				p.fail("invalid \\u escape")
				return ""
			}
			i += 5
			r := rune(u)
			if u >= 0xd800 && u < 0xdc00 && i+5 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
				if lo, ok := hex4(s, i+2); ok && lo >= 0xdc00 && lo < 0xe000 {
					r = (rune(u)-0xd800)<<10 + (rune(lo) - 0xdc00) + 0x10000
					i += 6
				}
			}
			// Lone surrogates cannot be held in UTF-8; they become U+FFFD
			// as they would when yjs encodes them.
			if r >= 0xd800 && r < 0xe000 {
				r = utf8.RuneError
			}
			sb.WriteRune(r)
		default:
			p.pos = i
			p.fail("invalid escape")
			return ""
		}
	}
	p.fail("unterminated string")
	return ""
}

func hex4(s string, i int) (uint32, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var u uint32
	for j := i; j < i+4; j++ {
		c := s[j]
		switch {
		case c >= '0' && c <= '9':
			u = u<<4 | uint32(c-'0')
		case c >= 'a' && c <= 'f':
			u = u<<4 | uint32(c-'a'+10)
		case c >= 'A' && c <= 'F':
			u = u<<4 | uint32(c-'A'+10)
		default:
			return 0, false
		}
	}
	return u, true
}

// normalizeAny converts a Go value supplied by a caller into the internal
// value model. Integers must be exactly representable as JavaScript numbers
// (magnitude at most 2^53); use BigInt for 64-bit integers.
func normalizeAny(v any) (any, error) {
	return normalizeAnyDepth(v, 0)
}

func normalizeAnyDepth(v any, depth int) (any, error) {
	if depth > maxAnyDepth {
		return nil, fmt.Errorf("yjs: value nested too deeply")
	}
	switch v := v.(type) {
	case nil, undefinedType, bool, string, BigInt:
		return v, nil
	case float64:
		return v, nil
	case float32:
		return float64(v), nil
	case int:
		return intNumber(int64(v))
	case int8:
		return float64(v), nil
	case int16:
		return float64(v), nil
	case int32:
		return float64(v), nil
	case int64:
		return intNumber(v)
	case uint:
		return uintNumber(uint64(v))
	case uint8:
		return float64(v), nil
	case uint16:
		return float64(v), nil
	case uint32:
		return float64(v), nil
	case uint64:
		return uintNumber(v)
	case []byte:
		return slices.Clone(v), nil
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			n, err := normalizeAnyDepth(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	case []string:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = e
		}
		return out, nil
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b := newObjectBuilder(len(keys))
		for _, k := range keys {
			n, err := normalizeAnyDepth(v[k], depth+1)
			if err != nil {
				return nil, err
			}
			b.set(k, n)
		}
		return b.done(), nil
	case map[string]string:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b := newObjectBuilder(len(keys))
		for _, k := range keys {
			b.set(k, v[k])
		}
		return b.done(), nil
	case Object:
		b := newObjectBuilder(len(v))
		for _, f := range v {
			n, err := normalizeAnyDepth(f.Value, depth+1)
			if err != nil {
				return nil, err
			}
			b.set(f.Key, n)
		}
		return b.done(), nil
	case *object:
		return v, nil
	case *big.Int:
		if !v.IsInt64() {
			return nil, fmt.Errorf("yjs: bigint %v does not fit in 64 bits", v)
		}
		return BigInt(v.Int64()), nil
	}
	// Other slices and string-keyed maps, via reflection.
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			n, err := normalizeAnyDepth(rv.Index(i).Interface(), depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	case reflect.Map:
		if rv.Type().Key().Kind() == reflect.String {
			keys := make([]string, 0, rv.Len())
			for _, k := range rv.MapKeys() {
				keys = append(keys, k.String())
			}
			sort.Strings(keys)
			b := newObjectBuilder(len(keys))
			for _, k := range keys {
				n, err := normalizeAnyDepth(rv.MapIndex(reflect.ValueOf(k).Convert(rv.Type().Key())).Interface(), depth+1)
				if err != nil {
					return nil, err
				}
				b.set(k, n)
			}
			return b.done(), nil
		}
	case reflect.String:
		return rv.String(), nil
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.Float32, reflect.Float64:
		return rv.Float(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return intNumber(rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return uintNumber(rv.Uint())
	}
	return nil, fmt.Errorf("yjs: cannot store a value of type %T", v)
}

func intNumber(n int64) (any, error) {
	if n > maxSafeInteger+1 || n < -(maxSafeInteger+1) {
		return nil, fmt.Errorf("yjs: integer %d is not exactly representable as a JavaScript number; use BigInt", n)
	}
	return float64(n), nil
}

func uintNumber(n uint64) (any, error) {
	if n > maxSafeInteger+1 {
		return nil, fmt.Errorf("yjs: integer %d is not exactly representable as a JavaScript number; use BigInt", n)
	}
	return float64(n), nil
}

// exportAny converts an internal value for a caller: objects become
// map[string]any, and slices are copied so callers cannot alter the
// document.
func exportAny(v any) any {
	switch v := v.(type) {
	case *object:
		m := make(map[string]any, len(v.keys))
		for i, k := range v.keys {
			m[k] = exportAny(v.vals[i])
		}
		return m
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = exportAny(e)
		}
		return out
	case []byte:
		return slices.Clone(v)
	}
	return v
}

// equalAny compares two values as lib0's equalityDeep does: objects by
// their keys and values regardless of order, arrays element by element.
func equalAny(a, b any) bool {
	switch a := a.(type) {
	case *object:
		bo, ok := b.(*object)
		if !ok || len(a.keys) != len(bo.keys) {
			return false
		}
		for i, k := range a.keys {
			bv, ok := bo.get(k)
			if !ok || !equalAny(a.vals[i], bv) {
				return false
			}
		}
		return true
	case []any:
		ba, ok := b.([]any)
		if !ok || len(a) != len(ba) {
			return false
		}
		for i := range a {
			if !equalAny(a[i], ba[i]) {
				return false
			}
		}
		return true
	case []byte:
		bb, ok := b.([]byte)
		return ok && string(a) == string(bb)
	case float64:
		bf, ok := b.(float64)
		return ok && a == bf
	}
	return a == b
}
