-- GET /Medication?_id=x&_count=2: 200
SELECT t0.DRUG_ID, t0.LAST_UPDATED, t0.DMD_CODE, t0.DRUG_NAME, t0.FORM FROM DRUG t0 WHERE (1 = 0) ORDER BY t0.DRUG_ID LIMIT 3;

-- GET /Medication?_id=M,F&_count=2: 200
SELECT t0.DRUG_ID, t0.LAST_UPDATED, t0.DMD_CODE, t0.DRUG_NAME, t0.FORM FROM DRUG t0 WHERE (1 = 0 OR 1 = 0) ORDER BY t0.DRUG_ID LIMIT 3;

-- GET /Medication?_id=http://snomed.info/sct|195967001&_count=2: 400

-- GET /Medication?_id=|x&_count=2: 400

-- GET /Medication?_id=https://fhir.nhs.uk/Id/nhs-number|&_count=2: 400

-- GET /Medication?_id:not=x&_count=2: 400

-- GET /Medication?_id:not=a,b&_count=2: 400

-- GET /Medication?_id:text=as&_count=2: 400

-- GET /Medication?_id:missing=true&_count=2: 200
SELECT t0.DRUG_ID, t0.LAST_UPDATED, t0.DMD_CODE, t0.DRUG_NAME, t0.FORM FROM DRUG t0 WHERE (1 = 0) ORDER BY t0.DRUG_ID LIMIT 3;

-- GET /Medication?_id:missing=false&_count=2: 200
SELECT t0.DRUG_ID, t0.LAST_UPDATED, t0.DMD_CODE, t0.DRUG_NAME, t0.FORM FROM DRUG t0 WHERE (1 = 1) ORDER BY t0.DRUG_ID LIMIT 3;

-- GET /Medication?_lastUpdated=2019&_count=2: 200
SELECT t0.DRUG_ID, t0.LAST_UPDATED, t0.DMD_CODE, t0.DRUG_NAME, t0.FORM FROM DRUG t0 WHERE ((t0.LAST_UPDATED >= ?1 AND t0.LAST_UPDATED < ?2)) ORDER BY t0.DRUG_ID LIMIT 3;
--   $1 = time.Time(2019-01-01 00:00:00 +0000 UTC), $2 = time.Time(2020-01-01 00:00:00 +0000 UTC)

-- GET /Medication?_lastUpdated=eq2019-06-01&_count=2: 200
SELECT t0.DRUG_ID, t0.LAST_UPDATED, t0.DMD_CODE, t0.DRUG_NAME, t0.FORM FROM DRUG t0 WHERE ((t0.LAST_UPDATED >= ?1 AND t0.LAST_UPDATED < ?2)) ORDER BY t0.DRUG_ID LIMIT 3;
--   $1 = time.Time(2019-06-01 00:00:00 +0000 UTC), $2 = time.Time(2019-06-02 00:00:00 +0000 UTC)

-- GET /Medication?_lastUpdated=ne2019-06&_count=2: 200
SELECT t0.DRUG_ID, t0.LAST_UPDATED, t0.DMD_CODE, t0.DRUG_NAME, t0.FORM FROM DRUG t0 WHERE ((t0.LAST_UPDATED < ?1 OR t0.LAST_UPDATED >= ?2)) ORDER BY t0.DRUG_ID LIMIT 3;
--   $1 = time.Time(2019-06-01 00:00:00 +0000 UTC), $2 = time.Time(2019-07-01 00:00:00 +0000 UTC)

-- GET /Medication?_lastUpdated=lt2019&_count=2: 200
SELECT t0.DRUG_ID, t0.LAST_UPDATED, t0.DMD_CODE, t0.DRUG_NAME, t0.FORM FROM DRUG t0 WHERE (t0.LAST_UPDATED < ?1) ORDER BY t0.DRUG_ID LIMIT 3;
--   $1 = time.Time(2019-01-01 00:00:00 +0000 UTC)

-- GET /Medication?_lastUpdated=gt2019-06-01T10:00&_count=2: 200
SELECT t0.DRUG_ID, t0.LAST_UPDATED, t0.DMD_CODE, t0.DRUG_NAME, t0.FORM FROM DRUG t0 WHERE (t0.LAST_UPDATED >= ?1) ORDER BY t0.DRUG_ID LIMIT 3;
--   $1 = time.Time(2019-06-01 10:01:00 +0000 UTC)

-- GET /Medication?_lastUpdated=ge2019-06-01T10:00:00Z&_count=2: 200
SELECT t0.DRUG_ID, t0.LAST_UPDATED, t0.DMD_CODE, t0.DRUG_NAME, t0.FORM FROM DRUG t0 WHERE (t0.LAST_UPDATED >= ?1) ORDER BY t0.DRUG_ID LIMIT 3;
--   $1 = time.Time(2019-06-01 10:00:00 +0000 UTC)

-- GET /Medication?_lastUpdated=le2019&_count=2: 200
SELECT t0.DRUG_ID, t0.LAST_UPDATED, t0.DMD_CODE, t0.DRUG_NAME, t0.FORM FROM DRUG t0 WHERE (t0.LAST_UPDATED < ?1) ORDER BY t0.DRUG_ID LIMIT 3;
--   $1 = time.Time(2020-01-01 00:00:00 +0000 UTC)

-- GET /Medication?_lastUpdated=sa2019&_count=2: 200
SELECT t0.DRUG_ID, t0.LAST_UPDATED, t0.DMD_CODE, t0.DRUG_NAME, t0.FORM FROM DRUG t0 WHERE (t0.LAST_UPDATED >= ?1) ORDER BY t0.DRUG_ID LIMIT 3;
--   $1 = time.Time(2020-01-01 00:00:00 +0000 UTC)

-- GET /Medication?_lastUpdated=eb2019&_count=2: 200
SELECT t0.DRUG_ID, t0.LAST_UPDATED, t0.DMD_CODE, t0.DRUG_NAME, t0.FORM FROM DRUG t0 WHERE (t0.LAST_UPDATED < ?1) ORDER BY t0.DRUG_ID LIMIT 3;
--   $1 = time.Time(2019-01-01 00:00:00 +0000 UTC)

-- GET /Medication?_lastUpdated=ap2019-06-01&_count=2: 200
SELECT t0.DRUG_ID, t0.LAST_UPDATED, t0.DMD_CODE, t0.DRUG_NAME, t0.FORM FROM DRUG t0 WHERE ((t0.LAST_UPDATED >= ?1 AND t0.LAST_UPDATED < ?2)) ORDER BY t0.DRUG_ID LIMIT 3;
--   $1 = time.Time(2018-12-08 01:12:00 +0000 UTC), $2 = time.Time(2019-11-23 22:48:00 +0000 UTC)

-- GET /Medication?_lastUpdated=ge2010&_lastUpdated=lt2020&_count=2: 200
SELECT t0.DRUG_ID, t0.LAST_UPDATED, t0.DMD_CODE, t0.DRUG_NAME, t0.FORM FROM DRUG t0 WHERE (t0.LAST_UPDATED >= ?1) AND (t0.LAST_UPDATED < ?2) ORDER BY t0.DRUG_ID LIMIT 3;
--   $1 = time.Time(2010-01-01 00:00:00 +0000 UTC), $2 = time.Time(2020-01-01 00:00:00 +0000 UTC)

-- GET /Medication?_lastUpdated:missing=true&_count=2: 200
SELECT t0.DRUG_ID, t0.LAST_UPDATED, t0.DMD_CODE, t0.DRUG_NAME, t0.FORM FROM DRUG t0 WHERE (NOT (t0.LAST_UPDATED IS NOT NULL)) ORDER BY t0.DRUG_ID LIMIT 3;

-- GET /Medication?_lastUpdated:missing=false&_count=2: 200
SELECT t0.DRUG_ID, t0.LAST_UPDATED, t0.DMD_CODE, t0.DRUG_NAME, t0.FORM FROM DRUG t0 WHERE (t0.LAST_UPDATED IS NOT NULL) ORDER BY t0.DRUG_ID LIMIT 3;

-- GET /Medication?code=x&_count=2: 200
SELECT t0.DRUG_ID, t0.LAST_UPDATED, t0.DMD_CODE, t0.DRUG_NAME, t0.FORM FROM DRUG t0 WHERE ((t0.DMD_CODE = ?1 AND t0.DMD_CODE = ?1 COLLATE utf8mb4_nopad_bin)) ORDER BY t0.DRUG_ID LIMIT 3;
--   $1 = string(x)

-- GET /Medication?code=M,F&_count=2: 200
SELECT t0.DRUG_ID, t0.LAST_UPDATED, t0.DMD_CODE, t0.DRUG_NAME, t0.FORM FROM DRUG t0 WHERE ((t0.DMD_CODE = ?1 AND t0.DMD_CODE = ?1 COLLATE utf8mb4_nopad_bin) OR (t0.DMD_CODE = ?2 AND t0.DMD_CODE = ?2 COLLATE utf8mb4_nopad_bin)) ORDER BY t0.DRUG_ID LIMIT 3;
--   $1 = string(M), $2 = string(F)

-- GET /Medication?code=http://snomed.info/sct|195967001&_count=2: 200
SELECT t0.DRUG_ID, t0.LAST_UPDATED, t0.DMD_CODE, t0.DRUG_NAME, t0.FORM FROM DRUG t0 WHERE ((t0.DMD_CODE = ?1 AND t0.DMD_CODE = ?1 COLLATE utf8mb4_nopad_bin)) ORDER BY t0.DRUG_ID LIMIT 3;
--   $1 = string(195967001)

-- GET /Medication?code=|x&_count=2: 200
SELECT t0.DRUG_ID, t0.LAST_UPDATED, t0.DMD_CODE, t0.DRUG_NAME, t0.FORM FROM DRUG t0 WHERE (1 = 0) ORDER BY t0.DRUG_ID LIMIT 3;

-- GET /Medication?code=https://fhir.nhs.uk/Id/nhs-number|&_count=2: 200
SELECT t0.DRUG_ID, t0.LAST_UPDATED, t0.DMD_CODE, t0.DRUG_NAME, t0.FORM FROM DRUG t0 WHERE (1 = 0) ORDER BY t0.DRUG_ID LIMIT 3;

-- GET /Medication?code:not=x&_count=2: 200
SELECT t0.DRUG_ID, t0.LAST_UPDATED, t0.DMD_CODE, t0.DRUG_NAME, t0.FORM FROM DRUG t0 WHERE (CASE WHEN (t0.DMD_CODE = ?1 AND t0.DMD_CODE = ?1 COLLATE utf8mb4_nopad_bin) THEN 0 ELSE 1 END = 1) ORDER BY t0.DRUG_ID LIMIT 3;
--   $1 = string(x)

-- GET /Medication?code:not=a,b&_count=2: 200
SELECT t0.DRUG_ID, t0.LAST_UPDATED, t0.DMD_CODE, t0.DRUG_NAME, t0.FORM FROM DRUG t0 WHERE (CASE WHEN (t0.DMD_CODE = ?1 AND t0.DMD_CODE = ?1 COLLATE utf8mb4_nopad_bin) THEN 0 ELSE 1 END = 1 AND CASE WHEN (t0.DMD_CODE = ?2 AND t0.DMD_CODE = ?2 COLLATE utf8mb4_nopad_bin) THEN 0 ELSE 1 END = 1) ORDER BY t0.DRUG_ID LIMIT 3;
--   $1 = string(a), $2 = string(b)

-- GET /Medication?code:text=as&_count=2: 400

-- GET /Medication?code:missing=true&_count=2: 200
SELECT t0.DRUG_ID, t0.LAST_UPDATED, t0.DMD_CODE, t0.DRUG_NAME, t0.FORM FROM DRUG t0 WHERE (NOT ((t0.DMD_CODE IS NOT NULL AND t0.DMD_CODE <> ''))) ORDER BY t0.DRUG_ID LIMIT 3;

-- GET /Medication?code:missing=false&_count=2: 200
SELECT t0.DRUG_ID, t0.LAST_UPDATED, t0.DMD_CODE, t0.DRUG_NAME, t0.FORM FROM DRUG t0 WHERE ((t0.DMD_CODE IS NOT NULL AND t0.DMD_CODE <> '')) ORDER BY t0.DRUG_ID LIMIT 3;

