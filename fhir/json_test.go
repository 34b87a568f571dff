package fhir

import (
	"encoding/json"
	"testing"
)

func TestJSONOrderAndEscaping(t *testing.T) {
	o := NewObject(4).
		Add("resourceType", String("Patient")).
		Add("id", String("1")).
		Add("text", String("a \"quoted\" <b>&</b>\n\ttab \u2028 é \x01")).
		Add("decimal", Number("12.50")).
		Add("flag", Bool(false)).
		Add("list", Array{String("x"), NewObject(1).Add("k", String("v"))})
	got := string(AppendJSON(nil, o))
	want := `{"resourceType":"Patient","id":"1","text":"a \"quoted\" <b>&</b>\n\ttab \u2028 é \u0001","decimal":12.50,"flag":false,"list":["x",{"k":"v"}]}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	var back map[string]any
	if err := json.Unmarshal([]byte(got), &back); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if back["text"] != "a \"quoted\" <b>&</b>\n\ttab \u2028 é \x01" {
		t.Errorf("text round trip: %q", back["text"])
	}
}

func TestPrune(t *testing.T) {
	o := NewObject(4).
		Add("a", String("")).
		Add("b", NewObject(1).Add("c", Array{String(""), NewObject(0)})).
		Add("d", String("kept")).
		Add("e", Array{})
	if got := string(AppendJSON(nil, Prune(o))); got != `{"d":"kept"}` {
		t.Errorf("got %s", got)
	}
	if Prune(NewObject(1).Add("x", String(""))) != nil {
		t.Error("an object of empties should prune to nil")
	}
}

func TestIndented(t *testing.T) {
	o := NewObject(2).Add("a", Array{Number("1")}).Add("b", NewObject(0))
	want := "{\n  \"a\": [\n    1\n  ],\n  \"b\": {}\n}"
	if got := string(AppendIndentedJSON(nil, o)); got != want {
		t.Errorf("got %q", got)
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "\"\\", "\x00\x1f", "é\u2028\u2029", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := appendString(nil, s)
		var back string
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%q encodes to invalid JSON %s: %v", s, b, err)
		}
	})
}
