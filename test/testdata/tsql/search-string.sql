-- GET /Patient?family=smi&_count=5
SELECT t0.PATIENT_ID, t0.LAST_UPDATED, t0.ETHNIC_ORIGIN, t0.NHS_NUMBER, t0.NHS_NO_STATUS, t0.HOSPITAL_NO, t0.SURNAME, t0.FORENAME1, t0.FORENAME2, t0.TITLE, t0.SEX, t0.DATE_OF_BIRTH, t0.DATE_OF_DEATH, t0.MARITAL_STATUS, t0.GP_ID, t0.PRACTICE_CODE FROM PATIENT t0 WHERE ((RTRIM(SURNAME)) LIKE @p1 ESCAPE '\') ORDER BY t0.PATIENT_ID OFFSET 0 ROWS FETCH NEXT 6 ROWS ONLY;
--   @p1 = 'smi%' (varchar)
SELECT c.PATIENT_ID, c.ALIAS_TYPE, c.SURNAME, c.FORENAMES FROM PATIENT_ALIAS c WHERE c.PATIENT_ID IN (@p1, @p2, @p3, @p4, @p5, @p6) ORDER BY c.PATIENT_ID, c.ALIAS_ID;
--   @p1 = 1 (bigint), @p2 = 6 (bigint), @p3 = 26 (bigint), @p4 = 38 (bigint), @p5 = 46 (bigint), @p6 = 51 (bigint)
SELECT c.PATIENT_ID, c.CONTACT_TYPE, c.CONTACT_VALUE, c.PREFERRED FROM PATIENT_CONTACT_NO c WHERE c.PATIENT_ID IN (@p1, @p2, @p3, @p4, @p5, @p6) ORDER BY c.PATIENT_ID, c.CONTACT_ID;
--   @p1 = 1 (bigint), @p2 = 6 (bigint), @p3 = 26 (bigint), @p4 = 38 (bigint), @p5 = 46 (bigint), @p6 = 51 (bigint)
SELECT c.PATIENT_ID, c.ADDRESS_TYPE, c.LINE1, c.LINE2, c.LINE3, c.LINE4, c.POSTCODE, c.FROM_DATE, c.TO_DATE FROM PATIENT_ADDRESS c WHERE c.PATIENT_ID IN (@p1, @p2, @p3, @p4, @p5, @p6) ORDER BY c.PATIENT_ID, c.ADDRESS_ID;
--   @p1 = 1 (bigint), @p2 = 6 (bigint), @p3 = 26 (bigint), @p4 = 38 (bigint), @p5 = 46 (bigint), @p6 = 51 (bigint)

-- next page
SELECT t0.PATIENT_ID, t0.LAST_UPDATED, t0.ETHNIC_ORIGIN, t0.NHS_NUMBER, t0.NHS_NO_STATUS, t0.HOSPITAL_NO, t0.SURNAME, t0.FORENAME1, t0.FORENAME2, t0.TITLE, t0.SEX, t0.DATE_OF_BIRTH, t0.DATE_OF_DEATH, t0.MARITAL_STATUS, t0.GP_ID, t0.PRACTICE_CODE FROM PATIENT t0 WHERE ((RTRIM(SURNAME)) LIKE @p1 ESCAPE '\') AND ((t0.PATIENT_ID > @p2)) ORDER BY t0.PATIENT_ID OFFSET 0 ROWS FETCH NEXT 6 ROWS ONLY;
--   @p1 = 'smi%' (varchar), @p2 = 46 (bigint)
SELECT c.PATIENT_ID, c.ALIAS_TYPE, c.SURNAME, c.FORENAMES FROM PATIENT_ALIAS c WHERE c.PATIENT_ID IN (@p1, @p2, @p3, @p4, @p5, @p6) ORDER BY c.PATIENT_ID, c.ALIAS_ID;
--   @p1 = 51 (bigint), @p2 = 95 (bigint), @p3 = 107 (bigint), @p4 = 131 (bigint), @p5 = 134 (bigint), @p6 = 139 (bigint)
SELECT c.PATIENT_ID, c.CONTACT_TYPE, c.CONTACT_VALUE, c.PREFERRED FROM PATIENT_CONTACT_NO c WHERE c.PATIENT_ID IN (@p1, @p2, @p3, @p4, @p5, @p6) ORDER BY c.PATIENT_ID, c.CONTACT_ID;
--   @p1 = 51 (bigint), @p2 = 95 (bigint), @p3 = 107 (bigint), @p4 = 131 (bigint), @p5 = 134 (bigint), @p6 = 139 (bigint)
SELECT c.PATIENT_ID, c.ADDRESS_TYPE, c.LINE1, c.LINE2, c.LINE3, c.LINE4, c.POSTCODE, c.FROM_DATE, c.TO_DATE FROM PATIENT_ADDRESS c WHERE c.PATIENT_ID IN (@p1, @p2, @p3, @p4, @p5, @p6) ORDER BY c.PATIENT_ID, c.ADDRESS_ID;
--   @p1 = 51 (bigint), @p2 = 95 (bigint), @p3 = 107 (bigint), @p4 = 131 (bigint), @p5 = 134 (bigint), @p6 = 139 (bigint)

-- previous page
SELECT t0.PATIENT_ID, t0.LAST_UPDATED, t0.ETHNIC_ORIGIN, t0.NHS_NUMBER, t0.NHS_NO_STATUS, t0.HOSPITAL_NO, t0.SURNAME, t0.FORENAME1, t0.FORENAME2, t0.TITLE, t0.SEX, t0.DATE_OF_BIRTH, t0.DATE_OF_DEATH, t0.MARITAL_STATUS, t0.GP_ID, t0.PRACTICE_CODE FROM PATIENT t0 WHERE ((RTRIM(SURNAME)) LIKE @p1 ESCAPE '\') AND ((t0.PATIENT_ID < @p2)) ORDER BY t0.PATIENT_ID DESC OFFSET 0 ROWS FETCH NEXT 6 ROWS ONLY;
--   @p1 = 'smi%' (varchar), @p2 = 51 (bigint)
SELECT c.PATIENT_ID, c.ALIAS_TYPE, c.SURNAME, c.FORENAMES FROM PATIENT_ALIAS c WHERE c.PATIENT_ID IN (@p1, @p2, @p3, @p4, @p5) ORDER BY c.PATIENT_ID, c.ALIAS_ID;
--   @p1 = 46 (bigint), @p2 = 38 (bigint), @p3 = 26 (bigint), @p4 = 6 (bigint), @p5 = 1 (bigint)
SELECT c.PATIENT_ID, c.CONTACT_TYPE, c.CONTACT_VALUE, c.PREFERRED FROM PATIENT_CONTACT_NO c WHERE c.PATIENT_ID IN (@p1, @p2, @p3, @p4, @p5) ORDER BY c.PATIENT_ID, c.CONTACT_ID;
--   @p1 = 46 (bigint), @p2 = 38 (bigint), @p3 = 26 (bigint), @p4 = 6 (bigint), @p5 = 1 (bigint)
SELECT c.PATIENT_ID, c.ADDRESS_TYPE, c.LINE1, c.LINE2, c.LINE3, c.LINE4, c.POSTCODE, c.FROM_DATE, c.TO_DATE FROM PATIENT_ADDRESS c WHERE c.PATIENT_ID IN (@p1, @p2, @p3, @p4, @p5) ORDER BY c.PATIENT_ID, c.ADDRESS_ID;
--   @p1 = 46 (bigint), @p2 = 38 (bigint), @p3 = 26 (bigint), @p4 = 6 (bigint), @p5 = 1 (bigint)
