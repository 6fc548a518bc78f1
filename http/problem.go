package http

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
)

// Problem is an RFC 9457 problem detail. Code is stable and meant for
// programs; Title and Detail are for people.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail,omitempty"`
	Code      string `json:"code"`
	RequestID string `json:"request_id,omitempty"`
	Instance  string `json:"instance,omitempty"`
	// Errors lists problems with individual fields of a request body.
	Errors []FieldError `json:"errors,omitempty"`
}

// FieldError names one invalid field of a request.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// WriteProblem writes an application/problem+json response.
func WriteProblem(w http.ResponseWriter, r *http.Request, status int, code, title, detail string) {
	WriteProblemDetail(w, r, Problem{Status: status, Code: code, Title: title, Detail: detail})
}

// WriteProblemDetail writes p, filling in the type, request id and instance.
func WriteProblemDetail(w http.ResponseWriter, r *http.Request, p Problem) {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	p.RequestID = RequestID(r.Context())
	p.Instance = r.URL.Path
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	// Encoded whole first, so that the response has a Content-Length and
	// goes out in one write, not chunked in pieces of net/http's buffer.
	buf := jsonBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 1<<20 { // do not keep a rare huge buffer alive
			buf.Reset()
			jsonBuffers.Put(buf)
		}
	}()
	var err error
	if a, ok := v.(jsonAppender); ok {
		var b []byte
		if b, err = a.appendJSON(buf.AvailableBuffer()); err == nil {
			buf.Write(append(b, '\n'))
		}
	} else {
		err = json.NewEncoder(buf).Encode(v)
	}
	if err != nil {
		// A value that cannot be encoded is a bug; say so rather than
		// send half a body.
		buf.Reset()
		buf.WriteString(`{"type":"about:blank","title":"Internal Server Error","status":500,"code":"internal"}` + "\n")
		status = http.StatusInternalServerError
		w.Header().Set("Content-Type", "application/problem+json")
	} else {
		w.Header().Set("Content-Type", "application/json")
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

var jsonBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}
