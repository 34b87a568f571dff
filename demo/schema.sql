-- The demo EPR: a legacy-looking PAS/GP schema. It is deliberately not shaped
-- like FHIR: upper-case names, local codes, dates held as text in several
-- formats, padded and nullable fields, addresses, phone numbers and aliases
-- in their own tables. The same script runs on SQLite and PostgreSQL.

CREATE TABLE GP_PRACTICE (
    PRACTICE_CODE  CHAR(6)      NOT NULL PRIMARY KEY, -- ODS code, e.g. A81001
    PRACTICE_NAME  VARCHAR(100) NOT NULL,
    ADDR_LINE1     VARCHAR(60),
    ADDR_LINE2     VARCHAR(60),
    TOWN           VARCHAR(40),
    COUNTY         VARCHAR(40),
    POSTCODE       VARCHAR(10),
    PHONE          VARCHAR(20),
    OPEN_DATE      VARCHAR(10),                       -- 'DD/MM/YYYY'
    CLOSED_FLAG    CHAR(1)      NOT NULL,             -- 'Y' / 'N'
    LAST_UPDATED   TIMESTAMP    NOT NULL
);

CREATE TABLE CLINICIAN (
    STAFF_ID       INTEGER      NOT NULL PRIMARY KEY,
    GMC_NUMBER     VARCHAR(7),                        -- 7 digits
    GP_CODE        VARCHAR(8),                        -- GMP national code 'G' + 7 digits
    TITLE          VARCHAR(10),
    SURNAME        VARCHAR(35)  NOT NULL,
    FORENAMES      VARCHAR(35),
    SEX            CHAR(1),                           -- 'M' 'F' 'U'
    PRACTICE_CODE  CHAR(6),
    WORK_PHONE     VARCHAR(20),
    EMAIL          VARCHAR(80),
    ACTIVE_FLAG    CHAR(1)      NOT NULL,             -- 'Y' / 'N'
    LAST_UPDATED   TIMESTAMP    NOT NULL
);

CREATE TABLE PATIENT (
    PATIENT_ID       INTEGER     NOT NULL PRIMARY KEY,
    HOSPITAL_NO      VARCHAR(10) NOT NULL,            -- local MRN, e.g. 'RX1000123'
    NHS_NUMBER       VARCHAR(12),                     -- '9434765919' or '943 476 5919'
    NHS_NO_STATUS    CHAR(2),                         -- verification status '01'..'08'; NULL with no number
    TITLE            VARCHAR(10),
    SURNAME          VARCHAR(35) NOT NULL,            -- some rows padded with spaces
    FORENAME1        VARCHAR(35),
    FORENAME2        VARCHAR(35),
    SEX              CHAR(1),                         -- 'M' 'F' 'U' 'I'
    DATE_OF_BIRTH    VARCHAR(8),                      -- 'YYYYMMDD'
    DATE_OF_DEATH    VARCHAR(10),                     -- 'DD/MM/YYYY', mostly NULL
    ETHNIC_ORIGIN    CHAR(2),                         -- local: W1 W2 W9 M1 M2 M3 M9 A1 A2 A3 A9 B1 B2 B9 C1 O9 NS, XX (legacy, unmapped)
    MARITAL_STATUS   CHAR(1),                         -- local: 'S' single 'M' married 'D' divorced 'W' widowed 'P' separated 'N' not known
    GP_ID            INTEGER,                         -- CLINICIAN.STAFF_ID
    PRACTICE_CODE    CHAR(6),                         -- GP_PRACTICE.PRACTICE_CODE
    REGISTERED_DATE  VARCHAR(11),                     -- 'DD-MON-YYYY', e.g. '04-MAR-2011'
    LAST_UPDATED     TIMESTAMP   NOT NULL,
    REG_TYPE         CHAR(1)     NOT NULL,            -- registration: 'R' regular/GMS 'T' temporary 'E' emergency 'I' immediately necessary
    DEREG_DATE       VARCHAR(10),                     -- 'YYYY-MM-DD' the patient left the practice; NULL while registered
    SENSITIVE_FLAG   CHAR(1)     NOT NULL,            -- 'Y' record flagged sensitive / 'N'
    SHARING_DISSENT  CHAR(1),                         -- 'Y' dissents from sharing the record (data opt-out); NULL none recorded
    GP2GP_STARTED    VARCHAR(10),                     -- 'YYYY-MM-DD' a GP2GP transfer in from the previous practice is under way since; NULL none
    UNFILED_SINCE    VARCHAR(10)                      -- 'YYYY-MM-DD' oldest received item awaiting filing; NULL none
);

CREATE TABLE PATIENT_ADDRESS (
    ADDRESS_ID     INTEGER      NOT NULL PRIMARY KEY,
    PATIENT_ID     INTEGER      NOT NULL,
    ADDRESS_TYPE   CHAR(1)      NOT NULL,             -- 'H' home, 'C' correspondence, 'T' temporary
    LINE1          VARCHAR(60),
    LINE2          VARCHAR(60),
    LINE3          VARCHAR(60),
    LINE4          VARCHAR(60),
    POSTCODE       VARCHAR(10),
    FROM_DATE      VARCHAR(10),                       -- 'YYYY-MM-DD'
    TO_DATE        VARCHAR(10)                        -- 'YYYY-MM-DD', NULL while current
);

CREATE TABLE PATIENT_CONTACT_NO (
    CONTACT_ID     INTEGER      NOT NULL PRIMARY KEY,
    PATIENT_ID     INTEGER      NOT NULL,
    CONTACT_TYPE   CHAR(2)      NOT NULL,             -- 'HT' home, 'MT' mobile, 'WT' work, 'EM' e-mail
    CONTACT_VALUE  VARCHAR(100) NOT NULL,
    PREFERRED      CHAR(1)                            -- 'Y' or NULL
);

CREATE TABLE PATIENT_ALIAS (
    ALIAS_ID       INTEGER      NOT NULL PRIMARY KEY,
    PATIENT_ID     INTEGER      NOT NULL,
    ALIAS_TYPE     CHAR(1)      NOT NULL,             -- 'P' previous, 'M' maiden, 'K' known as
    SURNAME        VARCHAR(35),
    FORENAMES      VARCHAR(70)
);

-- The GP clinical record: consultations, allergies, problems and
-- observations, coded with local codes and Read v2 codes.

CREATE TABLE CONSULTATION (
    CONSULT_ID     INTEGER      NOT NULL PRIMARY KEY,
    PATIENT_ID     INTEGER      NOT NULL,
    STAFF_ID       INTEGER,                           -- CLINICIAN.STAFF_ID
    PRACTICE_CODE  CHAR(6),
    CONSULT_TYPE   VARCHAR(4)   NOT NULL,             -- 'SURG' surgery, 'HOME' home visit, 'TEL' telephone
    START_DT       VARCHAR(16)  NOT NULL,             -- 'YYYY-MM-DD HH:MM'
    END_DT         VARCHAR(16),
    LAST_UPDATED   TIMESTAMP    NOT NULL
);

CREATE TABLE ALLERGY (
    ALLERGY_ID     INTEGER      NOT NULL PRIMARY KEY,
    PATIENT_ID     INTEGER      NOT NULL,
    CONSULT_ID     INTEGER,
    ALLERGEN_CODE  VARCHAR(10)  NOT NULL,             -- local allergen code, e.g. 'PEN'
    ALLERGEN_TEXT  VARCHAR(100),
    REACTION_CODE  VARCHAR(10),                       -- local reaction code, e.g. 'RASH'
    SEVERITY       CHAR(1),                           -- 'M' mild, 'O' moderate, 'S' severe
    STATUS         VARCHAR(10)  NOT NULL,             -- 'Active', 'Inactive', 'Resolved' (as typed)
    VERIFIED       CHAR(1),                           -- 'Y' confirmed, 'N' unconfirmed
    RECORDED_DATE  VARCHAR(10)  NOT NULL,             -- 'DD/MM/YYYY'
    RECORDED_BY    INTEGER,                           -- CLINICIAN.STAFF_ID
    LAST_UPDATED   TIMESTAMP    NOT NULL
);

CREATE TABLE PROBLEM (
    PROBLEM_ID     INTEGER      NOT NULL PRIMARY KEY,
    PATIENT_ID     INTEGER      NOT NULL,
    CONSULT_ID     INTEGER,
    READ_CODE      VARCHAR(7)   NOT NULL,             -- Read v2, e.g. 'H33..'
    PROBLEM_TEXT   VARCHAR(100),
    STATUS         CHAR(1)      NOT NULL,             -- 'A' active, 'I' inactive, 'R' resolved
    SIGNIFICANCE   VARCHAR(3)   NOT NULL,             -- 'MAJ' major, 'MIN' minor (the clinician's judgement)
    ONSET_DATE     VARCHAR(8),                        -- 'YYYYMMDD'
    END_DATE       VARCHAR(8),                        -- 'YYYYMMDD'
    RECORDED_DATE  VARCHAR(10)  NOT NULL,             -- 'YYYY-MM-DD'
    STAFF_ID       INTEGER,
    LAST_UPDATED   TIMESTAMP    NOT NULL,
    CONFIDENTIAL   CHAR(1)                            -- 'Y': the patient asked to keep it private, else NULL
);

CREATE TABLE OBSERVATION (
    OBS_ID         INTEGER      NOT NULL PRIMARY KEY,
    PATIENT_ID     INTEGER      NOT NULL,
    CONSULT_ID     INTEGER,
    OBS_CODE       VARCHAR(8)   NOT NULL,             -- local code, e.g. 'BPS', 'HBA1C', 'SMOK'
    OBS_NAME       VARCHAR(60),
    VALUE_NUM      VARCHAR(20),                       -- numbers as typed, e.g. '120', '36.6', '5.20'
    UNITS          VARCHAR(20),                       -- local units, e.g. 'mmHg', 'Kg', 'beats/min'
    VALUE_CODE     VARCHAR(8),                        -- coded findings, e.g. 'CS' current smoker
    OBS_DATETIME   VARCHAR(16)  NOT NULL,             -- 'YYYY-MM-DD HH:MM'
    STATUS         CHAR(1)      NOT NULL,             -- 'F' final, 'P' preliminary, 'C' corrected
    STAFF_ID       INTEGER,
    LAST_UPDATED   TIMESTAMP    NOT NULL,
    REPORT_ID      INTEGER,                           -- TEST_REPORT.REPORT_ID of a laboratory result, else NULL
    CONFIDENTIAL   CHAR(1),                           -- 'Y': the patient asked to keep it private, else NULL
    HEADING        VARCHAR(20),                       -- the consultation's heading it was recorded under, e.g. 'Examination'
    PARENT_OBS_ID  INTEGER                            -- the test group header (an OBSERVATION row of the report) it is a member of, else NULL
);

-- Pathology: the laboratory's report of a test the practice requested
-- (its results are OBSERVATION rows, linked by REPORT_ID) and the
-- specimen taken for it.

CREATE TABLE TEST_REPORT (
    REPORT_ID      INTEGER      NOT NULL PRIMARY KEY,
    PATIENT_ID     INTEGER      NOT NULL,
    CONSULT_ID     INTEGER,                           -- the consultation the test was requested in
    STAFF_ID       INTEGER,                           -- the requesting clinician
    TEST_CODE      VARCHAR(8)   NOT NULL,             -- local, e.g. 'HBA1C', 'LIPID'
    TEST_NAME      VARCHAR(100),
    DISCIPLINE     VARCHAR(4)   NOT NULL,             -- the laboratory's: 'CH' clinical chemistry, 'HM' haematology
    LAB_NAME       VARCHAR(100),                      -- the laboratory that reported
    STATUS         CHAR(1)      NOT NULL,             -- 'F' final, 'P' preliminary, 'C' corrected
    ISSUED_DT      VARCHAR(16)  NOT NULL,             -- 'YYYY-MM-DD HH:MM', when the laboratory issued it
    LAST_UPDATED   TIMESTAMP    NOT NULL,
    FILING_COMMENT VARCHAR(100)                       -- what the GP wrote on filing it, e.g. 'Normal - no action'
);

CREATE TABLE SPECIMEN (
    SPECIMEN_ID    INTEGER      NOT NULL PRIMARY KEY,
    PATIENT_ID     INTEGER      NOT NULL,
    REPORT_ID      INTEGER      NOT NULL,             -- TEST_REPORT.REPORT_ID
    SPEC_TYPE      VARCHAR(4)   NOT NULL,             -- local, e.g. 'BLD' whole blood, 'SER' serum
    SPEC_TEXT      VARCHAR(60),
    COLLECTED_DT   VARCHAR(16)  NOT NULL,             -- 'YYYY-MM-DD HH:MM'
    LAST_UPDATED   TIMESTAMP    NOT NULL
);

-- Prescribing: the practice's drug dictionary (dm+d coded), repeat
-- templates and the issues made from them (or acute issues).

CREATE TABLE DRUG (
    DRUG_ID        INTEGER      NOT NULL PRIMARY KEY,
    DMD_CODE       VARCHAR(18)  NOT NULL,             -- dm+d (SNOMED CT) code
    DRUG_NAME      VARCHAR(120) NOT NULL,
    FORM           VARCHAR(4),                        -- local form code, e.g. 'TAB'
    LAST_UPDATED   TIMESTAMP    NOT NULL
);

CREATE TABLE REPEAT_MED (
    REPEAT_ID      INTEGER      NOT NULL PRIMARY KEY,
    PATIENT_ID     INTEGER      NOT NULL,
    DRUG_ID        INTEGER      NOT NULL,
    DOSAGE         VARCHAR(100),
    QUANTITY       VARCHAR(20),                       -- e.g. '28'
    START_DATE     VARCHAR(8)   NOT NULL,             -- 'YYYYMMDD'
    END_DATE       VARCHAR(8),
    STATUS         CHAR(1)      NOT NULL,             -- 'C' current, 'S' stopped
    STAFF_ID       INTEGER,
    CONSULT_ID     INTEGER,                           -- the consultation that started it
    LAST_UPDATED   TIMESTAMP    NOT NULL,
    REVIEW_DATE    VARCHAR(8),                        -- 'YYYYMMDD': when the authorisation is due for review
    ORIGIN         VARCHAR(10),                       -- 'GP2GP': received with the record from the previous practice; NULL: prescribed here
    ISSUES_ALLOWED INTEGER                            -- the issues authorised before review; NULL: not defined
);

CREATE TABLE MED_ISSUE (
    ISSUE_ID       INTEGER      NOT NULL PRIMARY KEY,
    PATIENT_ID     INTEGER      NOT NULL,
    REPEAT_ID      INTEGER,                           -- NULL for an acute issue
    DRUG_ID        INTEGER      NOT NULL,
    DOSAGE         VARCHAR(100),
    QUANTITY       VARCHAR(20),
    ISSUE_DATE     VARCHAR(8)   NOT NULL,             -- 'YYYYMMDD'
    STATUS         CHAR(1)      NOT NULL,             -- 'I' issued, 'X' cancelled
    STAFF_ID       INTEGER,
    CONSULT_ID     INTEGER,
    LAST_UPDATED   TIMESTAMP    NOT NULL
);

CREATE TABLE IMMUNISATION (
    IMM_ID         INTEGER      NOT NULL PRIMARY KEY,
    PATIENT_ID     INTEGER      NOT NULL,
    CONSULT_ID     INTEGER,
    VACCINE_CODE   VARCHAR(6)   NOT NULL,             -- local, e.g. 'FLU', 'MMR'
    VACCINE_NAME   VARCHAR(60),
    GIVEN_DATE     VARCHAR(10)  NOT NULL,             -- 'YYYY-MM-DD'
    BATCH_NO       VARCHAR(20),
    STAFF_ID       INTEGER,
    LAST_UPDATED   TIMESTAMP    NOT NULL,
    NOT_GIVEN      VARCHAR(10)                        -- why it was not given ('DECLINED'); NULL: given
);

CREATE TABLE CLIN_PROCEDURE (
    PROC_ID        INTEGER      NOT NULL PRIMARY KEY,
    PATIENT_ID     INTEGER      NOT NULL,
    CONSULT_ID     INTEGER,
    PROC_CODE      VARCHAR(8)   NOT NULL,             -- local, e.g. 'ECG'
    PROC_TEXT      VARCHAR(100),
    PROC_DATE      VARCHAR(8)   NOT NULL,             -- 'YYYYMMDD'
    STAFF_ID       INTEGER,
    LAST_UPDATED   TIMESTAMP    NOT NULL
);

-- Referrals to other services, and the diary of recalls booked for a
-- patient (reviews, checks), each made in a consultation.

-- The services the practice refers patients to, by the specialty code
-- its referrals carry.

CREATE TABLE CLIN_SERVICE (
    SPECIALTY      VARCHAR(4)   NOT NULL PRIMARY KEY,  -- local, e.g. 'CARD'
    SERVICE_NAME   VARCHAR(100) NOT NULL,
    LAST_UPDATED   TIMESTAMP    NOT NULL
);

CREATE TABLE REFERRAL (
    REFERRAL_ID    INTEGER      NOT NULL PRIMARY KEY,
    PATIENT_ID     INTEGER      NOT NULL,
    CONSULT_ID     INTEGER,
    STAFF_ID       INTEGER,                           -- the referring GP
    SPECIALTY      VARCHAR(4)   NOT NULL,             -- CLIN_SERVICE.SPECIALTY, e.g. 'CARD', 'DERM'
    SERVICE_NAME   VARCHAR(100),                      -- the service referred to, as the GP named it
    REASON_TEXT    VARCHAR(200),                      -- as typed by the GP
    PRIORITY       CHAR(1)      NOT NULL,             -- 'R' routine, 'U' urgent, 'T' two-week wait
    REFERRAL_DATE  VARCHAR(10)  NOT NULL,             -- 'YYYY-MM-DD'
    LAST_UPDATED   TIMESTAMP    NOT NULL
);

-- Documents filed in the record: the letter each referral was sent with
-- (DOC_TYPE 'REFL'). The facade serves what is known of them, never the
-- document itself.

CREATE TABLE CLIN_DOCUMENT (
    DOC_ID         INTEGER      NOT NULL PRIMARY KEY,
    PATIENT_ID     INTEGER      NOT NULL,
    CONSULT_ID     INTEGER,                           -- the consultation it was written in
    REFERRAL_ID    INTEGER,                           -- the referral it was sent with
    DOC_TYPE       VARCHAR(4)   NOT NULL,             -- 'REFL' referral letter
    TITLE          VARCHAR(120),
    FILE_NAME      VARCHAR(60),
    MIME_TYPE      VARCHAR(40)  NOT NULL,             -- e.g. 'application/pdf'
    SIZE_BYTES     INTEGER,
    CREATED        VARCHAR(16)  NOT NULL,             -- 'YYYY-MM-DD HH:MM', when it was written
    STAFF_ID       INTEGER,                           -- its author
    LAST_UPDATED   TIMESTAMP    NOT NULL
);

CREATE TABLE DIARY_ENTRY (
    DIARY_ID       INTEGER      NOT NULL PRIMARY KEY,
    PATIENT_ID     INTEGER      NOT NULL,
    CONSULT_ID     INTEGER,
    STAFF_ID       INTEGER,                           -- who booked it
    ENTRY_CODE     VARCHAR(8)   NOT NULL,             -- local, e.g. 'MEDREV'
    ENTRY_TEXT     VARCHAR(100),
    RECORDED_DATE  VARCHAR(10)  NOT NULL,             -- 'YYYY-MM-DD'
    DUE_DATE       VARCHAR(10)  NOT NULL,             -- 'YYYY-MM-DD', often in the future
    LAST_UPDATED   TIMESTAMP    NOT NULL
);

-- Problem links: what the GP filed under each problem. A problem is
-- linked to the items recorded for it (an observation, an allergy, a
-- repeat prescription, a vaccination, a referral, a recall, a test
-- report) and to the problems it relates to.

CREATE TABLE PROBLEM_LINK (
    LINK_ID        INTEGER      NOT NULL PRIMARY KEY,
    PROBLEM_ID     INTEGER      NOT NULL,             -- PROBLEM.PROBLEM_ID
    LINKED_TABLE   VARCHAR(16)  NOT NULL,             -- the table of the linked item, e.g. 'OBSERVATION', 'PROBLEM'
    LINKED_ID      INTEGER      NOT NULL,             -- its key in that table
    RELATIONSHIP   VARCHAR(8)                         -- to a problem: 'parent' or 'child' (the linked problem's part)
);
