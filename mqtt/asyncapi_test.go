package mqtt

// A small checker of the AsyncAPI document: enough JSON Schema (draft
// 2020-12 subset: $ref, allOf, oneOf, type, const, enum, required,
// properties, additionalProperties, propertyNames, items, minimum, pattern,
// format uuid and date-time, boolean schemas) to check real payloads
// against asyncapi.yaml. Keywords it does not know make it fail, so the
// document cannot quietly use something that is not checked.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

type asyncDoc struct {
	root     map[string]any
	channels []asyncChannel
}

type asyncChannel struct {
	pattern *regexp.Regexp
	name    string
	params  int
	sub     any // message object (or oneOf) the lane publishes
	pub     any // message object the lane receives
}

func loadAsyncAPI(t testing.TB) *asyncDoc {
	t.Helper()
	b, err := os.ReadFile("asyncapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := yaml.Unmarshal(b, &root); err != nil {
		t.Fatalf("asyncapi.yaml: %v", err)
	}
	if v, _ := root["asyncapi"].(string); !strings.HasPrefix(v, "2.") {
		t.Fatalf("asyncapi.yaml: want an AsyncAPI 2.x document, got %v", root["asyncapi"])
	}
	d := &asyncDoc{root: root}
	chans, _ := root["channels"].(map[string]any)
	for name, ch := range chans {
		chm := ch.(map[string]any)
		re := "^" + regexp.MustCompile(`\\\{[a-z]+\\\}`).ReplaceAllString(regexp.QuoteMeta(name), `[^/]+`) + "$"
		c := asyncChannel{pattern: regexp.MustCompile(re), name: name, params: strings.Count(name, "{")}
		if s, ok := chm["subscribe"].(map[string]any); ok {
			c.sub = s["message"]
		}
		if p, ok := chm["publish"].(map[string]any); ok {
			c.pub = p["message"]
		}
		d.channels = append(d.channels, c)
	}
	sort.Slice(d.channels, func(i, j int) bool { return d.channels[i].params < d.channels[j].params })
	return d
}

// channel finds the channel of a topic, preferring the most specific.
func (d *asyncDoc) channel(topic string) (asyncChannel, bool) {
	for _, c := range d.channels {
		if c.pattern.MatchString(topic) {
			return c, true
		}
	}
	return asyncChannel{}, false
}

// resolve follows a local $ref.
func (d *asyncDoc) resolve(v any) (any, error) {
	for i := 0; i < 16; i++ {
		m, ok := v.(map[string]any)
		if !ok {
			return v, nil
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return v, nil
		}
		if !strings.HasPrefix(ref, "#/") {
			return nil, fmt.Errorf("only local $ref: %s", ref)
		}
		var cur any = d.root
		for _, p := range strings.Split(ref[2:], "/") {
			cm, ok := cur.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("bad $ref %s", ref)
			}
			if cur, ok = cm[p]; !ok {
				return nil, fmt.Errorf("bad $ref %s", ref)
			}
		}
		v = cur
	}
	return nil, fmt.Errorf("$ref loop")
}

// messages returns the message objects (name -> payload schema) of a
// channel direction.
func (d *asyncDoc) messages(msg any) (map[string]any, error) {
	m, err := d.resolve(msg)
	if err != nil {
		return nil, err
	}
	mm, _ := m.(map[string]any)
	out := map[string]any{}
	if one, ok := mm["oneOf"].([]any); ok {
		for _, x := range one {
			sub, err := d.messages(x)
			if err != nil {
				return nil, err
			}
			for k, v := range sub {
				out[k] = v
			}
		}
		return out, nil
	}
	name, _ := mm["name"].(string)
	out[name] = mm["payload"]
	return out, nil
}

// checkMessage validates a payload on a topic; it returns the name of the
// message it matched.
func (d *asyncDoc) checkMessage(topic string, payload []byte, inbound bool) (string, error) {
	ch, ok := d.channel(topic)
	if !ok {
		return "", fmt.Errorf("topic %s is in no channel of asyncapi.yaml", topic)
	}
	msg := ch.sub
	if inbound {
		msg = ch.pub
	}
	if msg == nil {
		return "", fmt.Errorf("channel %s has no %s message", ch.name, map[bool]string{true: "publish", false: "subscribe"}[inbound])
	}
	msgs, err := d.messages(msg)
	if err != nil {
		return "", err
	}
	v, err := decodeJSON(payload)
	if err != nil {
		return "", fmt.Errorf("payload is not JSON: %v", err)
	}
	var matched []string
	var errs []string
	for name, schema := range msgs {
		if err := d.validate(schema, v, "$"); err != nil {
			errs = append(errs, name+": "+err.Error())
		} else {
			matched = append(matched, name)
		}
	}
	switch len(matched) {
	case 1:
		return matched[0], nil
	case 0:
		sort.Strings(errs)
		return "", fmt.Errorf("matches no message of %s:\n  %s", ch.name, strings.Join(errs, "\n  "))
	}
	return "", fmt.Errorf("matches several messages of %s: %v", ch.name, matched)
}

func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data")
	}
	return v, nil
}

var knownKeywords = map[string]bool{
	"$ref": true, "allOf": true, "oneOf": true, "type": true, "const": true, "enum": true, "required": true,
	"properties": true, "additionalProperties": true, "propertyNames": true, "items": true, "minimum": true,
	"pattern": true, "format": true, "description": true, "contentEncoding": true, "examples": true, "title": true,
}

// validate checks v against schema; path names the place for errors.
func (d *asyncDoc) validate(schema, v any, path string) error {
	if b, ok := schema.(bool); ok {
		if !b {
			return fmt.Errorf("%s: not allowed", path)
		}
		return nil
	}
	s, err := d.resolve(schema)
	if err != nil {
		return err
	}
	sm, ok := s.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: schema is not an object", path)
	}
	for k := range sm {
		if !knownKeywords[k] && !strings.HasPrefix(k, "x-") {
			return fmt.Errorf("%s: the checker does not know keyword %q", path, k)
		}
	}
	if all, ok := sm["allOf"].([]any); ok {
		for _, sub := range all {
			if err := d.validate(sub, v, path); err != nil {
				return err
			}
		}
	}
	if one, ok := sm["oneOf"].([]any); ok {
		n := 0
		for _, sub := range one {
			if d.validate(sub, v, path) == nil {
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("%s: matches %d of oneOf, want 1", path, n)
		}
	}
	if typ, ok := sm["type"].(string); ok && !hasType(v, typ) {
		return fmt.Errorf("%s: want %s, got %T", path, typ, v)
	}
	if c, ok := sm["const"]; ok && !sameValue(c, v) {
		return fmt.Errorf("%s: want %v, got %v", path, c, v)
	}
	if e, ok := sm["enum"].([]any); ok && !slices.ContainsFunc(e, func(x any) bool { return sameValue(x, v) }) {
		return fmt.Errorf("%s: %v not in %v", path, v, e)
	}
	if min, ok := sm["minimum"]; ok {
		n, isNum := v.(json.Number)
		f, _ := n.Float64()
		if isNum && f < toFloat(min) {
			return fmt.Errorf("%s: %v below minimum %v", path, v, min)
		}
	}
	if str, isStr := v.(string); isStr {
		if p, ok := sm["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(str) {
			return fmt.Errorf("%s: %q does not match %s", path, str, p)
		}
		switch sm["format"] {
		case "uuid":
			if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`).MatchString(str) {
				return fmt.Errorf("%s: %q is not a UUID", path, str)
			}
		case "date-time":
			if _, err := time.Parse(time.RFC3339Nano, str); err != nil {
				return fmt.Errorf("%s: %q is not RFC 3339", path, str)
			}
		}
	}
	if obj, isObj := v.(map[string]any); isObj {
		props, _ := sm["properties"].(map[string]any)
		if req, ok := sm["required"].([]any); ok {
			for _, r := range req {
				if _, ok := obj[r.(string)]; !ok {
					return fmt.Errorf("%s: missing %s", path, r)
				}
			}
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if pn, ok := sm["propertyNames"]; ok {
				if err := d.validate(pn, k, path+".<name>"); err != nil {
					return err
				}
			}
			if ps, ok := props[k]; ok {
				if err := d.validate(ps, obj[k], path+"."+k); err != nil {
					return err
				}
			} else if ap, ok := sm["additionalProperties"]; ok {
				if err := d.validate(ap, obj[k], path+"."+k); err != nil {
					return err
				}
			}
		}
	}
	if arr, isArr := v.([]any); isArr {
		if it, ok := sm["items"]; ok {
			for i, x := range arr {
				if err := d.validate(it, x, fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func hasType(v any, typ string) bool {
	switch typ {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "number":
		_, ok := v.(json.Number)
		return ok
	case "integer":
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		_, err := n.Int64()
		return err == nil
	case "null":
		return v == nil
	}
	return false
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int:
		return float64(x)
	case float64:
		return x
	case json.Number:
		f, _ := x.Float64()
		return f
	}
	return 0
}

func sameValue(schemaVal, v any) bool {
	switch s := schemaVal.(type) {
	case int, float64:
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		f, _ := n.Float64()
		return f == toFloat(s)
	default:
		return schemaVal == v
	}
}

// TestAsyncAPIExamples checks the examples in the document against their
// own schemas, and that the checker rejects what it should.
func TestAsyncAPIExamples(t *testing.T) {
	d := loadAsyncAPI(t)
	msgs := d.root["components"].(map[string]any)["messages"].(map[string]any)
	n := 0
	for name, m := range msgs {
		ex, _ := m.(map[string]any)["examples"].([]any)
		for _, e := range ex {
			b, _ := json.Marshal(e.(map[string]any)["payload"])
			if err := d.validate(m.(map[string]any)["payload"], mustDecode(t, b), "$"); err != nil {
				t.Errorf("example of %s: %v", name, err)
			}
			n++
		}
	}
	if n < 3 {
		t.Fatalf("only %d examples checked", n)
	}
	// The checker must catch a missing field, a wrong const and an extra
	// field where additionalProperties is false.
	good := `{"schema":1,"id":"0190f5c2-7b1e-7c3a-9d2e-3f4a5b6c7d8f","seq":3,"type":"passage","site":"s","lane":"l",
		"ts":"2026-11-23T08:00:12.345Z","queued":"2026-11-23T08:00:12.351Z","data":{"passage":7,"outcome":"accept"}}`
	for _, tc := range []struct {
		name, payload string
		ok            bool
	}{
		{"good", good, true},
		{"no seq", strings.Replace(good, `"seq":3,`, "", 1), false},
		{"schema 2", strings.Replace(good, `"schema":1`, `"schema":2`, 1), false},
		{"nationality", strings.Replace(good, `"outcome":"accept"`, `"outcome":"accept","nationality":"UTO"`, 1), false},
		{"bad outcome", strings.Replace(good, `"accept"`, `"maybe"`, 1), false},
		{"bad id", strings.Replace(good, `0190f5c2`, `xyz`, 1), false},
		{"extra top-level", strings.Replace(good, `"schema":1`, `"schema":1,"name":"x"`, 1), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := d.checkMessage("egate/v1/s/l/event", []byte(tc.payload), false)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func mustDecode(t testing.TB, b []byte) any {
	v, err := decodeJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
