package fhir

import (
	"strings"
)

// Value is a node of the ordered value tree: *Object, Array, String, Number
// or Bool. A nil Value is absent.
type Value interface{ isValue() }

// Object is a JSON object whose fields keep their insertion order.
type Object struct {
	Fields []Field
	// small holds the fields of a small object, so that making one is a
	// single allocation.
	small [smallObject]Field
}

// smallObject is how many fields an object holds without a second
// allocation: most elements of a resource (a Coding, a HumanName, a
// Reference) have this many or fewer.
const smallObject = 4

// Field is one named member of an Object.
type Field struct {
	Name  string
	Value Value
}

// Array is a JSON array.
type Array []Value

// String is a JSON string.
type String string

// Number is a JSON number kept as its exact text (for example a DECIMAL
// column read as "12.50"); it is written verbatim.
type Number string

// Bool is a JSON boolean.
type Bool bool

func (*Object) isValue() {}
func (Array) isValue()   {}
func (String) isValue()  {}
func (Number) isValue()  {}
func (Bool) isValue()    {}

// NewObject returns an empty object with room for n fields.
func NewObject(n int) *Object {
	o := &Object{}
	if n <= smallObject {
		o.Fields = o.small[:0]
	} else {
		o.Fields = make([]Field, 0, n)
	}
	return o
}

// Add appends a field; a nil value is ignored. It returns o for chaining.
func (o *Object) Add(name string, v Value) *Object {
	if v == nil {
		return o
	}
	o.Fields = append(o.Fields, Field{Name: name, Value: v})
	return o
}

// AddString appends a string field unless s is empty.
func (o *Object) AddString(name, s string) *Object {
	if s == "" {
		return o
	}
	return o.Add(name, String(s))
}

// Get returns the value of the first field with the name, or nil.
func (o *Object) Get(name string) Value {
	if o == nil {
		return nil
	}
	for _, f := range o.Fields {
		if f.Name == name {
			return f.Value
		}
	}
	return nil
}

// GetString returns the named field when it is a String, else "".
func (o *Object) GetString(name string) string {
	s, _ := o.Get(name).(String)
	return string(s)
}

// Path follows a dotted path of object fields (arrays are entered at their
// first item) and returns the value found, or nil.
func Path(v Value, path string) Value {
	for _, part := range strings.Split(path, ".") {
		if a, ok := v.(Array); ok {
			if len(a) == 0 {
				return nil
			}
			v = a[0]
		}
		o, ok := v.(*Object)
		if !ok {
			return nil
		}
		v = o.Get(part)
	}
	return v
}

// Prune removes empty strings, empty objects and empty arrays, recursively,
// and returns nil if nothing is left. FHIR forbids empty elements.
func Prune(v Value) Value {
	// The value already in v is returned as it is: boxing a string or a
	// slice into an interface again would allocate.
	switch t := v.(type) {
	case nil:
		return nil
	case String:
		if t == "" {
			return nil
		}
	case Number:
		if t == "" {
			return nil
		}
	case Array:
		out := t[:0]
		for _, item := range t {
			if p := Prune(item); p != nil {
				out = append(out, p)
			}
		}
		switch len(out) {
		case 0:
			return nil
		case len(t):
			return v
		}
		return out
	case *Object:
		if t == nil {
			return nil
		}
		out := t.Fields[:0]
		for _, f := range t.Fields {
			if p := Prune(f.Value); p != nil {
				out = append(out, Field{Name: f.Name, Value: p})
			}
		}
		t.Fields = out
		if len(out) == 0 {
			return nil
		}
	}
	return v
}
