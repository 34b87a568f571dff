package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/mysql"
	"github.com/ccfacade/ccfacade/demo"
	"github.com/ccfacade/ccfacade/internal/mysqltest"
)

// mysqlBackend is MySQL or MariaDB through go-sql-driver/mysql (the
// driver the adapter registers). base is the DSN of a server whose user
// may create databases; the benchmark's databases are made beside its
// own.
func mysqlBackend(ctx context.Context, base string) (*backend, error) {
	admin, err := sql.Open("mysql", base)
	if err != nil {
		return nil, fmt.Errorf("mysql: %s: %w", adapters.Redact(base), adapters.RedactError(err, base))
	}
	defer admin.Close()
	var version string
	var pool int64
	if err := admin.QueryRowContext(ctx, "SELECT VERSION(), @@innodb_buffer_pool_size").Scan(&version, &pool); err != nil {
		return nil, fmt.Errorf("mysql: connect to %s: %w", adapters.Redact(base), adapters.RedactError(err, base))
	}
	mariaDB := strings.Contains(strings.ToLower(version), "mariadb")
	number, _, _ := strings.Cut(version, "-")
	label := "MySQL " + number
	if mariaDB {
		label = "MariaDB " + number
	}
	children := "child collections come inside a page's statement (JSON_ARRAYAGG), as on PostgreSQL"
	if !mariaDB {
		children = "each child collection is read with a statement of its own (MySQL's JSON_ARRAYAGG takes no ORDER BY)"
	}
	notes := "On " + label + " the demo has its indexes but those on expressions (MariaDB has none; the loader leaves them out on MySQL too), so a search by NHS number reads the whole PATIENT table, in the facade and in the one-statement floor alike; " + children +
		". The facade's values are written into each statement by the driver (the adapter's default): **statements** replays them so, one round trip a statement, the facade's numbered `?n` marks made bare `?` as the adapter's connections make them; **prepared** prepares them on the server. **one statement** builds the JSON with JSON_OBJECT and JSON_ARRAYAGG, nulls left in (neither server has json_strip_nulls)."
	return &backend{
		name: "mysql", label: label, heading: " on " + label, driver: "go-sql-driver/mysql", notes: notes,
		version: fmt.Sprintf("%s, InnoDB buffer pool %d MB", version, pool>>20),
		ensure: func(ctx context.Context, patients int) (string, string, error) {
			return ensureMySQLDemo(ctx, base, fmt.Sprintf("ccfacade_bench_%d", patients), patients)
		},
		open: func(ctx context.Context, dsn string) (adapters.Adapter, error) {
			return mysql.Open(ctx, dsn, facadeOptions)
		},
		raw: func(dsn string) (*sql.DB, error) {
			session, err := mysql.SessionDSN(dsn) // the facade's session settings
			if err != nil {
				return nil, err
			}
			return sql.Open("mysql", session)
		},
		bare: func(s stmt) (stmt, error) {
			q, args, err := mysql.DriverStatement(s.sql, s.args)
			return stmt{q, args}, err
		},
		patientJSON: mysqlPatientJSON(mariaDB), observationJSON: mysqlObservationJSON,
		ph: func(int) string { return "?" },
	}, nil
}

// ensureMySQLDemo creates and fills the bench database through the
// adapter's loader unless it is already there with the right number of
// patients, loaded from the current schema and indexes.
func ensureMySQLDemo(ctx context.Context, base, name string, patients int) (dsn, loaded string, err error) {
	dsn, err = mysqltest.WithDatabase(base, name)
	if err != nil {
		return "", "", err
	}
	admin, err := sql.Open("mysql", base)
	if err != nil {
		return "", "", adapters.RedactError(err, base)
	}
	defer admin.Close()
	var exists int
	if err := admin.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", name).Scan(&exists); err != nil {
		return "", "", fmt.Errorf("connect to %s: %w", adapters.Redact(base), adapters.RedactError(err, base))
	}
	if exists > 0 {
		names := "'" + strings.Join(demo.Tables(), "', '") + "'"
		if loadedBefore(ctx, "mysql", dsn, patients,
			"SELECT COUNT(*), (SELECT TABLE_COMMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'PATIENT') FROM PATIENT",
			"SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ("+names+")") {
			return dsn, reusedNote, nil
		}
		if _, err := admin.ExecContext(ctx, "DROP DATABASE "+name); err != nil {
			return "", "", err
		}
	}
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4"); err != nil {
		return "", "", err
	}
	// The adapter's loader: multi-row INSERTs, then the indexes, then
	// ANALYZE TABLE.
	took, err := loadDemo(ctx, mysql.Open, dsn, patients, "ALTER TABLE PATIENT COMMENT = '"+schemaDigest()+"'")
	if err != nil {
		return "", "", err
	}
	fmt.Fprintf(os.Stderr, "loaded %d patients into %s in %s\n", patients, name, took)
	return dsn, fmt.Sprintf("Loaded with the demo generator through the `mysql` adapter's loader (multi-row INSERTs, then the indexes and ANALYZE TABLE) in %s.", took), nil
}

// mysqlPatientJSON is patientJSON in MySQL's and MariaDB's SQL, as the
// facade's sessions read it (ANSI_QUOTES, PIPES_AS_CONCAT): neither has
// json_strip_nulls, so nulls stay in; a derived table cannot see the
// outer row on MariaDB, so the names are two arrays merged; child arrays
// are ordered on MariaDB only (MySQL's JSON_ARRAYAGG takes no ORDER BY).
func mysqlPatientJSON(mariaDB bool) string {
	order := func(col string) string {
		if mariaDB {
			return " ORDER BY " + col
		}
		return ""
	}
	return `SELECT JSON_OBJECT(
 'resourceType', 'Patient', 'id', CAST(p.PATIENT_ID AS CHAR),
 'meta', JSON_OBJECT('lastUpdated', DATE_FORMAT(p.LAST_UPDATED, '%Y-%m-%dT%H:%i:%s+00:00'),
   'profile', JSON_ARRAY('https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Patient-1')),
 'extension', JSON_ARRAY(JSON_OBJECT('url', 'https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-EthnicCategory-1',
   'valueCodeableConcept', JSON_OBJECT('coding', JSON_ARRAY(JSON_OBJECT('system', 'https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-EthnicCategory-1', 'code', p.ETHNIC_ORIGIN))))),
 'identifier', JSON_ARRAY(
   JSON_OBJECT('extension', JSON_ARRAY(JSON_OBJECT('url', 'https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-NHSNumberVerificationStatus-1',
       'valueCodeableConcept', JSON_OBJECT('coding', JSON_ARRAY(JSON_OBJECT('system', 'https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-NHSNumberVerificationStatus-1', 'code', p.NHS_NO_STATUS))))),
     'system', 'https://fhir.nhs.uk/Id/nhs-number', 'value', REPLACE(p.NHS_NUMBER, ' ', '')),
   JSON_OBJECT('system', 'https://fhir.example.nhs.uk/Id/hospital-number', 'value', TRIM(p.HOSPITAL_NO))),
 'name', JSON_MERGE_PRESERVE(
     JSON_ARRAY(JSON_OBJECT('use', 'official', 'family', TRIM(p.SURNAME), 'given', JSON_ARRAY(TRIM(p.FORENAME1), TRIM(p.FORENAME2)), 'prefix', JSON_ARRAY(TRIM(p.TITLE)))),
     COALESCE((SELECT JSON_ARRAYAGG(JSON_OBJECT('use', CASE a.ALIAS_TYPE WHEN 'M' THEN 'maiden' WHEN 'P' THEN 'old' ELSE 'usual' END, 'family', TRIM(a.SURNAME), 'given', JSON_ARRAY(TRIM(a.FORENAMES)))` + order("a.ALIAS_ID") + `)
       FROM PATIENT_ALIAS a WHERE a.PATIENT_ID = p.PATIENT_ID), JSON_ARRAY())),
 'telecom', (SELECT JSON_ARRAYAGG(JSON_OBJECT('system', CASE c.CONTACT_TYPE WHEN 'EM' THEN 'email' ELSE 'phone' END, 'value', TRIM(c.CONTACT_VALUE),
     'use', CASE c.CONTACT_TYPE WHEN 'HT' THEN 'home' WHEN 'MT' THEN 'mobile' WHEN 'WT' THEN 'work' END, 'rank', CASE WHEN c.PREFERRED = 'Y' THEN 1 END)` + order("c.CONTACT_ID") + `)
   FROM PATIENT_CONTACT_NO c WHERE c.PATIENT_ID = p.PATIENT_ID),
 'gender', CASE p.SEX WHEN 'M' THEN 'male' WHEN 'F' THEN 'female' WHEN 'U' THEN 'unknown' ELSE 'other' END,
 'birthDate', CASE WHEN p.DATE_OF_BIRTH REGEXP '^[0-9]{8}$' THEN DATE_FORMAT(STR_TO_DATE(p.DATE_OF_BIRTH, '%Y%m%d'), '%Y-%m-%d') END,
 'deceasedDateTime', CASE WHEN p.DATE_OF_DEATH REGEXP '^[0-9]{2}/[0-9]{2}/[0-9]{4}$' THEN DATE_FORMAT(STR_TO_DATE(p.DATE_OF_DEATH, '%d/%m/%Y'), '%Y-%m-%d') END,
 'address', (SELECT JSON_ARRAYAGG(JSON_OBJECT('use', CASE a.ADDRESS_TYPE WHEN 'H' THEN 'home' WHEN 'T' THEN 'temp' ELSE 'work' END,
     'line', JSON_ARRAY(TRIM(a.LINE1), TRIM(a.LINE2), TRIM(a.LINE3)), 'city', TRIM(a.LINE4), 'postalCode', a.POSTCODE,
     'period', JSON_OBJECT('start', a.FROM_DATE, 'end', a.TO_DATE))` + order("a.ADDRESS_ID") + `)
   FROM PATIENT_ADDRESS a WHERE a.PATIENT_ID = p.PATIENT_ID),
 'maritalStatus', JSON_OBJECT('coding', JSON_ARRAY(JSON_OBJECT('system', 'http://hl7.org/fhir/v3/MaritalStatus', 'code', p.MARITAL_STATUS))),
 'generalPractitioner', JSON_ARRAY(JSON_OBJECT('reference', 'Practitioner/' || p.GP_ID), JSON_OBJECT('reference', 'Organization/' || p.PRACTICE_CODE)),
 'managingOrganization', JSON_OBJECT('reference', 'Organization/' || p.PRACTICE_CODE)
) FROM PATIENT p`
}

// mysqlObservationJSON is observationJSON in MySQL's and MariaDB's SQL.
const mysqlObservationJSON = `SELECT JSON_OBJECT(
 'resourceType', 'Observation', 'id', CAST(o.OBS_ID AS CHAR),
 'meta', JSON_OBJECT('lastUpdated', DATE_FORMAT(o.LAST_UPDATED, '%Y-%m-%dT%H:%i:%s+00:00'),
   'profile', JSON_ARRAY('https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Observation-1')),
 'status', CASE o.STATUS WHEN 'F' THEN 'final' WHEN 'P' THEN 'preliminary' WHEN 'A' THEN 'amended' ELSE 'entered-in-error' END,
 'category', JSON_ARRAY(JSON_OBJECT('coding', JSON_ARRAY(JSON_OBJECT('system', 'http://hl7.org/fhir/observation-category', 'code', 'vital-signs', 'display', 'Vital Signs')))),
 'code', JSON_OBJECT('coding', JSON_ARRAY(JSON_OBJECT('system', 'http://snomed.info/sct', 'code', o.OBS_CODE), JSON_OBJECT('system', 'http://loinc.org', 'code', o.OBS_CODE)), 'text', TRIM(o.OBS_NAME)),
 'subject', JSON_OBJECT('reference', 'Patient/' || o.PATIENT_ID),
 'context', JSON_OBJECT('reference', 'Encounter/' || o.CONSULT_ID),
 'effectiveDateTime', REPLACE(o.OBS_DATETIME, ' ', 'T') || ':00+00:00',
 'performer', JSON_ARRAY(JSON_OBJECT('reference', 'Practitioner/' || o.STAFF_ID)),
 'valueQuantity', JSON_OBJECT('value', CASE WHEN o.VALUE_NUM REGEXP '^-?[0-9]+(\.[0-9]+)?$' THEN o.VALUE_NUM + 0 END, 'unit', TRIM(o.UNITS), 'system', 'http://unitsofmeasure.org', 'code', o.UNITS)
) FROM OBSERVATION o`
