package yjs

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

func TestVarUint(t *testing.T) {
	for _, v := range []uint64{0, 1, 127, 128, 255, 16383, 16384, 1<<32 - 1, 1 << 32, maxSafeInteger} {
		b := AppendVarUint(nil, v)
		got, n, err := ReadVarUint(b)
		if err != nil || got != v || n != len(b) {
			t.Errorf("%d: got %d, %d, %v", v, got, n, err)
		}
	}
	if !bytes.Equal(AppendVarUint(nil, 300), []byte{0xac, 0x02}) {
		t.Error("300 encodes wrong")
	}
	// Beyond 2^53-1 is refused, truncation is an error.
	for _, b := range [][]byte{
		AppendVarUint(nil, maxSafeInteger+1),
		AppendVarUint(nil, math.MaxUint64),
		{0x80, 0x80},
		{},
	} {
		if _, _, err := ReadVarUint(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%x: want ErrMalformed, got %v", b, err)
		}
	}
}

func TestVarInt(t *testing.T) {
	for _, v := range []int64{0, 1, -1, 63, 64, -64, -65, 1 << 31, -(1 << 31), maxSafeInteger, -maxSafeInteger} {
		b := AppendVarInt(nil, v)
		got, n, err := ReadVarInt(b)
		if err != nil || got != v || n != len(b) {
			t.Errorf("%d: got %d, %d, %v", v, got, n, err)
		}
	}
	// lib0 writes negative zero with the sign bit: the v2 encoders use it.
	if b := appendVarIntSign(nil, 0, true); !bytes.Equal(b, []byte{0x40}) {
		t.Errorf("-0 = %x", b)
	}
	r := reader{b: []byte{0x40}}
	if abs, neg := r.varInt(); abs != 0 || !neg {
		t.Error("-0 not read back")
	}
}

func TestVarStringAndBytes(t *testing.T) {
	for _, s := range []string{"", "a", "héllo", "日本語", "😀"} {
		b := AppendVarString(nil, s)
		got, n, err := ReadVarString(b)
		if err != nil || got != s || n != len(b) {
			t.Errorf("%q: got %q %d %v", s, got, n, err)
		}
	}
	if _, _, err := ReadVarString([]byte{2, 0xff, 0xfe}); !errors.Is(err, ErrMalformed) {
		t.Error("invalid UTF-8 accepted")
	}
	// A length claiming more than the input is refused before allocating.
	huge := AppendVarUint(nil, 1<<50)
	if _, _, err := ReadVarBytes(append(huge, 1, 2, 3)); !errors.Is(err, ErrMalformed) {
		t.Error("huge length accepted")
	}
	p, n, err := ReadVarBytes([]byte{3, 1, 2, 3, 9})
	if err != nil || n != 4 || !bytes.Equal(p, []byte{1, 2, 3}) {
		t.Error("var bytes")
	}
}

func TestUTF16Len(t *testing.T) {
	for s, n := range map[string]int{"": 0, "abc": 3, "é": 1, "日本": 2, "😀": 2, "a😀b": 4} {
		if got := utf16Len(s); got != n {
			t.Errorf("%q: %d, want %d", s, got, n)
		}
	}
}

func TestSplitString(t *testing.T) {
	l, r := splitString("a😀b", 2, 4)
	if l != "a\uFFFD" || r != "\uFFFDb" {
		t.Errorf("split inside a pair: %q %q", l, r)
	}
	l, r = splitString("a😀b", 3, 4)
	if l != "a😀" || r != "b" {
		t.Errorf("split after a pair: %q %q", l, r)
	}
}

// anyTestValues are values in the JSON form peer.mjs's value() reads.
var anyTestValues = []any{
	nil, true, false, 0.0, 1.0, -1.0, 63.0, 64.0, -64.0, 2147483647.0, -2147483647.0,
	2147483648.0, -2147483648.0, 4294967296.0, 9007199254740991.0, 0.5, 0.1, 1.5, -2.25,
	3.4028234663852886e38, 1e21, 1e-7, 123456789.125, 5e-324,
	map[string]any{"$num": "NaN"}, map[string]any{"$num": "-0"}, map[string]any{"$num": "Infinity"},
	map[string]any{"$num": "-Infinity"}, map[string]any{"$undef": 1.0}, map[string]any{"$bigint": "-9007199254740993"},
	"", "text", "日本😀", map[string]any{"$bin": "AAEC/w=="},
	[]any{}, []any{1.0, "a", nil, []any{true}}, map[string]any{},
	map[string]any{"b": 1.0, "a": []any{2.0}, "10": "ten", "2": "two", "c": map[string]any{"d": nil}},
}

// testValue converts a value in peer.mjs's JSON form to our value model.
func testValue(t *testing.T, v any) any {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 1 {
			if s, ok := v["$bin"].(string); ok {
				return opValue(map[string]any{"$bin": s})
			}
			if s, ok := v["$num"].(string); ok {
				switch s {
				case "NaN":
					return math.NaN()
				case "-0":
					return math.Copysign(0, -1)
				case "Infinity":
					return math.Inf(1)
				case "-Infinity":
					return math.Inf(-1)
				}
			}
			if _, ok := v["$undef"]; ok {
				return Undefined
			}
			if s, ok := v["$bigint"].(string); ok {
				n, _ := strconv.ParseInt(s, 10, 64)
				return BigInt(n)
			}
		}
		m := map[string]any{}
		for k, e := range v {
			m[k] = testValue(t, e)
		}
		n, err := normalizeAny(m)
		if err != nil {
			t.Fatal(err)
		}
		return n
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = testValue(t, e)
		}
		return out
	}
	n, err := normalizeAny(v)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestAnyMatchesLib0 encodes values with appendAny and with lib0's
// writeAny: the bytes must be equal, and decoding them must round-trip.
func TestAnyMatchesLib0(t *testing.T) {
	p := yjsPeer(t)
	var want []string
	if err := p.call("encodeAny", map[string]any{"values": anyTestValues}, &want); err != nil {
		t.Fatal(err)
	}
	for i, v := range anyTestValues {
		got := appendAny(nil, testValue(t, v))
		w := unb64(t, want[i])
		if !bytes.Equal(got, w) {
			t.Errorf("%v: go %x, lib0 %x", v, got, w)
			continue
		}
		r := reader{b: w}
		back := r.readAny(0)
		if r.err != nil || r.pos != len(w) {
			t.Errorf("%v: read back: %v", v, r.err)
			continue
		}
		if again := appendAny(nil, back); !bytes.Equal(again, w) {
			t.Errorf("%v: re-encoding differs: %x", v, again)
		}
	}
}

// TestJSONMatchesJavaScript renders values with appendJSON and
// JSON.stringify, and numbers with jsNumberString and String(n).
func TestJSONMatchesJavaScript(t *testing.T) {
	p := yjsPeer(t)
	var want []string
	var vals []any
	for _, v := range anyTestValues {
		if m, ok := v.(map[string]any); ok && (m["$bigint"] != nil || m["$undef"] != nil) {
			continue
		}
		vals = append(vals, v)
	}
	vals = append(vals, "quote\" back\\ ctl\x01\x1f tab\t nl\n del\x7f u2028\u2028")
	if err := p.call("stringify", map[string]any{"values": vals}, &want); err != nil {
		t.Fatal(err)
	}
	for i, v := range vals {
		got, _, err := appendJSON(nil, testValue(t, v))
		if err != nil || string(got) != want[i] {
			t.Errorf("%v: go %s, JSON.stringify %s (%v)", v, got, want[i], err)
		}
		back, err := parseJSON(want[i])
		if err != nil {
			t.Errorf("parse %s: %v", want[i], err)
			continue
		}
		if again, _, _ := appendJSON(nil, back); string(again) != want[i] {
			t.Errorf("parse/stringify %s: %s", want[i], again)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var nums []any
	for i := 0; i < 2000; i++ {
		var f float64
		switch i % 4 {
		case 0:
			f = math.Float64frombits(rng.Uint64())
		case 1:
			f = float64(rng.Int64N(1<<53)) / math.Pow(10, float64(rng.IntN(30)))
		case 2:
			f = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(60)-30))
		default:
			f = float64(rng.IntN(1 << 20))
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		nums = append(nums, f)
	}
	var numWant []string
	if err := p.call("numberStrings", map[string]any{"values": nums}, &numWant); err != nil {
		t.Fatal(err)
	}
	for i, v := range nums {
		if got := jsNumberString(v.(float64)); got != numWant[i] {
			t.Errorf("String(%v): go %s, js %s", v, got, numWant[i])
		}
	}
}

func TestParseJSONRejects(t *testing.T) {
	for _, s := range []string{"", "{", "[1,]", "01", "1.", "-", `"\x"`, "nul", "[1] 2", `{"a" 1}`, "\"\x01\""} {
		if _, err := parseJSON(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
	v, err := parseJSON(`{"b":1,"a":{"__proto__":2},"1":3,"b":4}`)
	if err != nil {
		t.Fatal(err)
	}
	js, _, _ := appendJSON(nil, v)
	if string(js) != `{"1":3,"b":4,"a":{"__proto__":2}}` {
		t.Errorf("JavaScript key order: %s", js)
	}
}
