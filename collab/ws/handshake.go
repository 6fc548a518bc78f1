package ws

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
)

// checkHandshake validates a client's opening handshake (RFC 6455 section
// 4.2.1) and returns its key.
func checkHandshake(r *http.Request) (string, error) {
	switch {
	case r.Method != http.MethodGet:
		return "", errors.New("websocket: the handshake must be a GET")
	case !headerHasToken(r.Header, "Connection", "upgrade"):
		return "", errors.New("websocket: missing Connection: Upgrade")
	case !headerHasToken(r.Header, "Upgrade", "websocket"):
		return "", errors.New("websocket: missing Upgrade: websocket")
	case r.Header.Get("Sec-WebSocket-Version") != "13":
		return "", errors.New("websocket: unsupported version (want 13)")
	}
	key := r.Header.Get("Sec-WebSocket-Key")
	if b, err := base64.StdEncoding.DecodeString(key); err != nil || len(b) != 16 {
		return "", errors.New("websocket: bad Sec-WebSocket-Key")
	}
	return key, nil
}

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

const keyGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

func acceptKey(key string) string {
	h := sha1.Sum([]byte(key + keyGUID))
	return base64.StdEncoding.EncodeToString(h[:])
}

func newKey() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}
