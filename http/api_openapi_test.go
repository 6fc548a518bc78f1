package http

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestOpenAPIMatchesServer keeps /api/v1/openapi.json true: every served
// route is documented, every documented operation is served, and a real
// request to each answers with a documented status and a body that
// validates against the documented schema.
func TestOpenAPIMatchesServer(t *testing.T) {
	e := newAPIEnv(t)
	r := e.anon().do("GET", "/api/v1/openapi.json", nil)
	wantStatus(t, r, 200)
	if got, want := r.header.Get("Content-Length"), strconv.Itoa(len(r.body)); got != want {
		t.Errorf("Content-Length = %q, want %q", got, want)
	}
	etag := r.header.Get("ETag")
	if etag == "" {
		t.Error("no ETag")
	} else if again := e.anon().do("GET", "/api/v1/openapi.json", nil, "If-None-Match", etag); again.status != http.StatusNotModified || len(again.body) != 0 {
		t.Errorf("If-None-Match with the ETag: status %d, %d bytes; want 304 and none", again.status, len(again.body))
	}
	var spec struct {
		OpenAPI    string                               `json:"openapi"`
		Paths      map[string]map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(r.body, &spec); err != nil {
		t.Fatal(err)
	}
	if spec.OpenAPI != "3.1.0" {
		t.Fatalf("openapi = %q", spec.OpenAPI)
	}
	v := &validator{schemas: spec.Components.Schemas}

	// Documented and served are the same set.
	documented := 0
	for path, ops := range spec.Paths {
		for method := range ops {
			documented++
			found := false
			for _, rt := range e.api.routes {
				found = found || apiPrefix+rt.path == path && strings.EqualFold(rt.method, method)
			}
			if !found {
				t.Errorf("documented %s %s is not served", method, path)
			}
		}
	}
	if documented != len(e.api.routes) {
		t.Errorf("%d operations documented, %d routes served", documented, len(e.api.routes))
	}

	w := newAPIWorld(t, e)
	samples := map[string]matrixCase{}
	for _, mc := range matrix {
		for _, rt := range e.api.routes {
			if mc.method == rt.method && pathMatches(rt.path, mc.path) {
				samples[rt.method+" "+rt.path] = mc
			}
		}
	}
	// Public routes, with requests that succeed.
	pending := func(v vars) string { return v["invitation_token"] }
	public := map[string]func(v vars) (string, any){
		"POST /auth/signup": func(vars) (string, any) {
			return "/auth/signup", map[string]string{"email": fmt.Sprintf("s%d@example.com", seq.Add(1)), "password": "long enough pw", "name": "S", "organization_name": "S"}
		},
		"POST /auth/login": func(vars) (string, any) {
			return "/auth/login", map[string]string{"email": "nobody@example.com", "password": "whatever"}
		},
		"POST /auth/login/mfa": func(vars) (string, any) {
			return "/auth/login/mfa", map[string]string{"mfa_token": "tdm_expired", "code": "000000"}
		},
		"POST /invitations/lookup": func(v vars) (string, any) {
			return "/invitations/lookup", map[string]string{"token": pending(v)}
		},
		"POST /invitations/accept": func(v vars) (string, any) {
			return "/invitations/accept", map[string]string{"token": pending(v), "name": "N", "password": "long enough pw"}
		},
	}
	for _, rt := range e.api.routes {
		key := rt.method + " " + rt.path
		op := spec.Paths[apiPrefix+rt.path][strings.ToLower(rt.method)]
		vs, _ := w.prepare(t, "{invitation}"+samples[key].path+samples[key].body)
		var res response
		if f, ok := public[key]; ok {
			path, body := f(vs)
			res = e.anon().do(rt.method, "/api/v1"+path, body)
		} else if mc, ok := samples[key]; ok {
			var body any
			if mc.body != "" {
				body = expand(mc.body, vs)
			}
			c := w.owner
			if rt.path == "/auth/logout" {
				c, _ = e.signUp()
			}
			res = c.do(rt.method, "/api/v1"+expand(mc.path, vs), body)
		} else {
			t.Errorf("no sample request for %s", key)
			continue
		}
		responses := op["responses"].(map[string]any)
		doc, ok := responses[fmt.Sprint(res.status)].(map[string]any)
		if !ok {
			t.Errorf("%s answered %d, which is not documented (%s)", key, res.status, res.body)
			continue
		}
		var schema any
		if ref, ok := doc["$ref"]; ok && ref == "#/components/responses/Problem" {
			schema = map[string]any{"$ref": "#/components/schemas/Problem"}
		} else if content, ok := doc["content"].(map[string]any); ok {
			schema = content["application/json"].(map[string]any)["schema"]
		}
		if schema == nil {
			if len(res.body) != 0 {
				t.Errorf("%s: documented without a body, answered %s", key, res.body)
			}
			continue
		}
		var body any
		if err := json.Unmarshal(res.body, &body); err != nil {
			t.Errorf("%s: body is not JSON: %s", key, res.body)
			continue
		}
		if err := v.validate(body, schema, "body"); err != nil {
			t.Errorf("%s (%d): %v\n%s", key, res.status, err, res.body)
		}
	}
}

// validator checks JSON values against the subset of JSON Schema the
// generator writes: $ref, type (one or a list), properties, required,
// additionalProperties, items, oneOf, format date-time.
type validator struct{ schemas map[string]any }

func (v *validator) validate(x any, schema any, at string) error {
	s, _ := schema.(map[string]any)
	if ref, ok := s["$ref"].(string); ok {
		return v.validate(x, v.schemas[strings.TrimPrefix(ref, "#/components/schemas/")], at)
	}
	if one, ok := s["oneOf"].([]any); ok {
		var errs []string
		for _, alt := range one {
			err := v.validate(x, alt, at)
			if err == nil {
				return nil
			}
			errs = append(errs, err.Error())
		}
		return fmt.Errorf("%s matches no alternative: %s", at, strings.Join(errs, "; "))
	}
	types := []string{}
	switch tt := s["type"].(type) {
	case string:
		types = append(types, tt)
	case []any:
		for _, x := range tt {
			types = append(types, x.(string))
		}
	}
	if len(types) == 0 {
		return nil
	}
	var err error
	for _, typ := range types {
		if err = v.validateType(x, typ, s, at); err == nil {
			return nil
		}
	}
	return err
}

func (v *validator) validateType(x any, typ string, s map[string]any, at string) error {
	switch typ {
	case "null":
		if x != nil {
			return fmt.Errorf("%s: want null, got %v", at, x)
		}
	case "string":
		str, ok := x.(string)
		if !ok {
			return fmt.Errorf("%s: want a string, got %v", at, x)
		}
		if s["format"] == "date-time" {
			if _, err := time.Parse(time.RFC3339Nano, str); err != nil {
				return fmt.Errorf("%s: not a date-time: %q", at, str)
			}
		}
	case "boolean":
		if _, ok := x.(bool); !ok {
			return fmt.Errorf("%s: want a boolean, got %v", at, x)
		}
	case "integer":
		f, ok := x.(float64)
		if !ok || f != float64(int64(f)) {
			return fmt.Errorf("%s: want an integer, got %v", at, x)
		}
	case "array":
		arr, ok := x.([]any)
		if !ok {
			return fmt.Errorf("%s: want an array, got %v", at, x)
		}
		for i, it := range arr {
			if err := v.validate(it, s["items"], fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
	case "object":
		obj, ok := x.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: want an object, got %v", at, x)
		}
		props, _ := s["properties"].(map[string]any)
		req, _ := s["required"].([]any)
		for _, r := range req {
			if _, ok := obj[r.(string)]; !ok {
				return fmt.Errorf("%s: required property %q missing", at, r)
			}
		}
		for k, val := range obj {
			ps, ok := props[k]
			if !ok {
				switch ap := s["additionalProperties"].(type) {
				case bool:
					if !ap {
						return fmt.Errorf("%s: undocumented property %q", at, k)
					}
					continue
				case map[string]any:
					ps = ap
				default:
					continue
				}
			}
			if err := v.validate(val, ps, at+"."+k); err != nil {
				return err
			}
		}
	}
	return nil
}

// TestOpenAPIValidatorCatches makes sure the check above can fail.
func TestOpenAPIValidatorCatches(t *testing.T) {
	e := newAPIEnv(t)
	var spec struct {
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	json.Unmarshal(e.api.OpenAPI(), &spec)
	v := &validator{schemas: spec.Components.Schemas}
	doc := map[string]any{"$ref": "#/components/schemas/Document"}
	good := map[string]any{"id": "x", "organization_id": "o", "folder_id": nil, "title": "t", "created_by": "u",
		"created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z", "trashed_at": nil, "role": "owner", "favorite": nil}
	if err := v.validate(good, doc, "doc"); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(m map[string]any){
		"missing":      func(m map[string]any) { delete(m, "title") },
		"wrong type":   func(m map[string]any) { m["title"] = 3.0 },
		"bad time":     func(m map[string]any) { m["created_at"] = "yesterday" },
		"undocumented": func(m map[string]any) { m["secret"] = "x" },
		"not nullable": func(m map[string]any) { m["id"] = nil },
	} {
		bad := map[string]any{}
		for k, x := range good {
			bad[k] = x
		}
		mut(bad)
		if v.validate(bad, doc, "doc") == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
