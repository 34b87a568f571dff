package mapping

import (
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/mappingsets"
)

// BenchmarkRender measures rendering alone, without a database: a demo
// Patient (with child rows for its names, telecoms and addresses) and a
// demo Observation, each rendered into a value tree (tree) and straight to
// compact JSON (json), and as R4 straight to JSON (json-r4).
//
//	go test ./mapping -run '^$' -bench Render -benchmem
func BenchmarkRender(b *testing.B) {
	set, err := LoadFS(mappingsets.Demo, "demo", "mappingsets/demo", time.UTC)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		row  func(*Mapping) *Row
	}{{"Patient", benchPatient}, {"Observation", benchObservation}} {
		m := set.Lookup(c.name)
		row := c.row(m)
		b.Run(c.name+"/tree", func(b *testing.B) {
			b.ReportAllocs()
			var buf []byte
			for i := 0; i < b.N; i++ {
				res, ps := m.Render(row)
				if len(ps) != 0 {
					b.Fatal(ps)
				}
				buf = fhir.AppendJSON(buf[:0], res)
			}
		})
		b.Run(c.name+"/json", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, ps := m.RenderJSON(row, nil); len(ps) != 0 {
					b.Fatal(ps)
				}
			}
		})
		b.Run(c.name+"/json-r4", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, ps := m.RenderJSONIn(R4, row, nil); len(ps) != 0 {
					b.Fatal(ps)
				}
			}
		})
	}
}

// benchRow fills a mapping's select list, and its child sources' rows,
// from values by column name (upper-cased); a child source gets n rows.
func benchRow(m *Mapping, cols map[string]any, children map[string]map[string]any, n int) *Row {
	fill := func(names []string, from map[string]any) []any {
		vals := make([]any, len(names))
		for i, name := range names {
			vals[i] = from[strings.ToUpper(name)]
		}
		return vals
	}
	row := &Row{Vals: fill(m.Cols.Names, cols), Children: make([][][]any, len(m.Children))}
	for i, c := range m.Children {
		for j := 0; j < n; j++ {
			row.Children[i] = append(row.Children[i], fill(c.Cols.Names, children[strings.ToUpper(c.Table)]))
		}
	}
	return row
}

func benchPatient(m *Mapping) *Row {
	return benchRow(m, map[string]any{
		"PATIENT_ID": int64(7), "LAST_UPDATED": time.Date(2024, 3, 1, 10, 30, 0, 0, time.UTC),
		"ETHNIC_ORIGIN": "W1", "NHS_NUMBER": "943 476 5919", "NHS_NO_STATUS": "01", "HOSPITAL_NO": " H123456 ",
		"SURNAME": "Smith ", "FORENAME1": "John", "FORENAME2": "Paul", "TITLE": "Mr", "SEX": "M",
		"DATE_OF_BIRTH": "19800229", "MARITAL_STATUS": "M", "GP_ID": int64(3), "PRACTICE_CODE": "B81001",
	}, map[string]map[string]any{
		"PATIENT_ALIAS":      {"PATIENT_ID": int64(7), "ALIAS_TYPE": "P", "SURNAME": "Jones", "FORENAMES": "John"},
		"PATIENT_CONTACT_NO": {"PATIENT_ID": int64(7), "CONTACT_TYPE": "HT", "CONTACT_VALUE": "01632 960001", "PREFERRED": "Y"},
		"PATIENT_ADDRESS": {"PATIENT_ID": int64(7), "ADDRESS_TYPE": "H", "LINE1": "1 High Street", "LINE2": "Little Town",
			"LINE4": "Leeds", "POSTCODE": "ls1 4ab", "FROM_DATE": "2010-01-01"},
	}, 2)
}

func benchObservation(m *Mapping) *Row {
	return benchRow(m, map[string]any{
		"OBS_ID": int64(42), "LAST_UPDATED": time.Date(2024, 3, 1, 10, 30, 0, 0, time.UTC),
		"STATUS": "F", "OBS_CODE": "BPS", "OBS_NAME": "Systolic BP ", "PATIENT_ID": int64(7), "CONSULT_ID": int64(9),
		"OBS_DATETIME": "2024-02-29 09:15", "STAFF_ID": int64(3), "VALUE_NUM": "120.0", "UNITS": "mmHg",
	}, nil, 0)
}
