package http

import (
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"
)

// OpenAPI returns the OpenAPI 3.1 document of the API, made from the same
// route table and JSON types that serve it; TestOpenAPIMatchesServer checks
// it against live responses.
func (api *API) OpenAPI() []byte {
	g := &schemaGen{components: map[string]any{}}
	paths := map[string]map[string]any{}
	for _, rt := range api.routes {
		op := map[string]any{
			"operationId": rt.id,
			"summary":     rt.summary,
			"tags":        []string{rt.tag},
		}
		var params []any
		for _, seg := range strings.Split(rt.path, "/") {
			if strings.HasPrefix(seg, "{") {
				params = append(params, map[string]any{"name": strings.Trim(seg, "{}"), "in": "path", "required": true,
					"schema": map[string]any{"type": "string"}})
			}
		}
		for _, q := range rt.query {
			params = append(params, map[string]any{"name": q.name, "in": "query", "required": false, "description": q.desc,
				"schema": map[string]any{"type": q.typ}})
		}
		if rt.idempotent {
			params = append(params, map[string]any{"name": "Idempotency-Key", "in": "header", "required": false,
				"description": "retrying with the same key and body returns the first response instead of creating again",
				"schema":      map[string]any{"type": "string", "maxLength": 255}})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if rt.body != nil {
			op["requestBody"] = map[string]any{"required": !rt.optBody, "content": map[string]any{
				"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.body))}}}
		}
		if rt.media != nil {
			op["requestBody"] = map[string]any{"required": true, "content": contentMedia(rt.media)}
		}
		responses := map[string]any{}
		ok := map[string]any{"description": "success"}
		if rt.resp != nil {
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.resp))}}
		}
		if rt.respMedia != nil {
			ok["content"] = contentMedia(rt.respMedia)
		}
		responses[itoa(rt.status)] = ok
		for _, st := range append(rt.errors, 500) {
			responses[itoa(st)] = map[string]any{"$ref": "#/components/responses/Problem"}
		}
		op["responses"] = responses
		if rt.access == public {
			op["security"] = []any{}
		}
		p := apiPrefix + rt.path
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		paths[p][strings.ToLower(rt.method)] = op
	}
	g.schema(reflect.TypeOf(Problem{})) // registers the Problem component
	g.components["ProseMirrorNode"] = proseMirrorNodeSchema
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   "Tandem API",
			"version": "1",
			"description": "Tandem's REST API. Authenticate with a session cookie (browser; writes need the X-CSRF-Token header " +
				"given at sign-in) or an Authorization: Bearer token (API token, or a public link's token for read-only access " +
				"to its document). Errors are RFC 9457 problem+json documents with a stable code and the request id. Lists " +
				"return {items, next_cursor}. Request bodies are JSON, at most 1 MiB, except document content: " +
				"Markdown, HTML or ProseMirror JSON, at most 4 MiB by default.",
		},
		"servers": []any{map[string]any{"url": "/"}},
		"paths":   paths,
		"components": map[string]any{
			"schemas": g.components,
			"securitySchemes": map[string]any{
				"bearer":  map[string]any{"type": "http", "scheme": "bearer"},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": SessionCookie},
			},
			"responses": map[string]any{
				"Problem": map[string]any{"description": "an RFC 9457 problem", "content": map[string]any{
					"application/problem+json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}}},
			},
		},
		"security": []any{map[string]any{"bearer": []any{}}, map[string]any{"session": []any{}}},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic(err) // a bug in the tables above, caught by every test
	}
	return b
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// schemaGen turns the API's Go types into JSON Schema (2020-12, as OpenAPI
// 3.1 uses). Named structs become components; pointers are nullable and
// every field is required, since the API always writes every field.
type schemaGen struct {
	components map[string]any
}

var timeTypes = []reflect.Type{reflect.TypeFor[time.Time](), reflect.TypeFor[jsonTime]()}

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	switch {
	case slices.Contains(timeTypes, t):
		return map[string]any{"type": "string", "format": "date-time"}
	case t == reflect.TypeOf(nullable{}):
		return map[string]any{"type": []any{"string", "null"}}
	}
	switch t.Kind() {
	case reflect.Pointer:
		s := g.schema(t.Elem())
		if ref, ok := s["$ref"]; ok {
			return map[string]any{"oneOf": []any{map[string]any{"$ref": ref}, map[string]any{"type": "null"}}}
		}
		c := map[string]any{}
		for k, v := range s {
			c[k] = v
		}
		c["type"] = []any{s["type"], "null"}
		return c
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Int32:
		return map[string]any{"type": "integer"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Struct:
		name := componentName(t)
		if _, done := g.components[name]; !done {
			g.components[name] = map[string]any{} // breaks cycles
			props := map[string]any{}
			var required []string
			for i := range t.NumField() {
				f := t.Field(i)
				tag := strings.Split(f.Tag.Get("json"), ",")[0]
				if tag == "" || tag == "-" || !f.IsExported() {
					continue
				}
				props[tag] = g.schema(f.Type)
				if !strings.Contains(f.Tag.Get("json"), "omitempty") {
					required = append(required, tag)
				}
			}
			sort.Strings(required)
			s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
			if len(required) > 0 {
				s["required"] = required
			}
			g.components[name] = s
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

// componentName names a schema after its Go type: documentJSON becomes
// Document, signUpRequest SignUpRequest.
func componentName(t reflect.Type) string {
	n := strings.TrimSuffix(t.Name(), "JSON")
	return strings.ToUpper(n[:1]) + n[1:]
}

// contentMedia documents a content body in each of types: ProseMirror JSON
// for application/json, a string for the text formats.
func contentMedia(types []string) map[string]any {
	out := map[string]any{}
	for _, t := range types {
		if t == "application/json" {
			out[t] = map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/ProseMirrorNode"}}
		} else {
			out[t] = map[string]any{"schema": map[string]any{"type": "string"}}
		}
	}
	return out
}

// proseMirrorNodeSchema is the shape of ProseMirror JSON (Tiptap's
// editor.getJSON): a "doc" node at the top. Node and mark types and their
// attributes are the editor's schema (package prosemirror), which the
// server checks on upload.
var proseMirrorNodeSchema = map[string]any{
	"type":        "object",
	"description": "a ProseMirror node of Tandem's editor schema (Tiptap StarterKit, task lists, tables, images)",
	"properties": map[string]any{
		"type":    map[string]any{"type": "string"},
		"attrs":   map[string]any{"type": "object"},
		"content": map[string]any{"type": "array", "items": map[string]any{"$ref": "#/components/schemas/ProseMirrorNode"}},
		"marks": map[string]any{"type": "array", "items": map[string]any{"type": "object", "required": []string{"type"},
			"properties": map[string]any{"type": map[string]any{"type": "string"}, "attrs": map[string]any{"type": "object"}}}},
		"text": map[string]any{"type": "string"},
	},
	"required":             []string{"type"},
	"additionalProperties": false,
}
