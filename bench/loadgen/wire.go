package main

import "errors"

// lib0 encoding, the little the load generator needs.

var errShort = errors.New("short message")

func appendVarUint(dst []byte, v uint64) []byte {
	for v >= 0x80 {
		dst = append(dst, byte(v)|0x80)
		v >>= 7
	}
	return append(dst, byte(v))
}

func appendVarString(dst []byte, s string) []byte {
	dst = appendVarUint(dst, uint64(len(s)))
	return append(dst, s...)
}

func readVarUint(b []byte) (uint64, []byte, error) {
	var v uint64
	for i := 0; i < len(b) && i < 10; i++ {
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i] < 0x80 {
			return v, b[i+1:], nil
		}
	}
	return 0, nil, errShort
}

func readVarBytes(b []byte) ([]byte, []byte, error) {
	n, rest, err := readVarUint(b)
	if err != nil || n > uint64(len(rest)) {
		return nil, nil, errShort
	}
	return rest[:n], rest[n:], nil
}

func readVarString(b []byte) (string, []byte, error) {
	p, rest, err := readVarBytes(b)
	return string(p), rest, err
}
