-- GET /Patient?name:contains=ar&_count=5
SELECT t0.PATIENT_ID, t0.LAST_UPDATED, t0.ETHNIC_ORIGIN, t0.NHS_NUMBER, t0.NHS_NO_STATUS, t0.HOSPITAL_NO, t0.SURNAME, t0.FORENAME1, t0.FORENAME2, t0.TITLE, t0.SEX, t0.DATE_OF_BIRTH, t0.DATE_OF_DEATH, t0.MARITAL_STATUS, t0.GP_ID, t0.PRACTICE_CODE FROM PATIENT t0 WHERE ((t0.SURNAME LIKE @p1 ESCAPE '\' OR t0.FORENAME1 LIKE @p2 ESCAPE '\' OR t0.FORENAME2 LIKE @p3 ESCAPE '\')) ORDER BY t0.PATIENT_ID OFFSET 0 ROWS FETCH NEXT 6 ROWS ONLY;
--   @p1 = '%ar%' (varchar), @p2 = '%ar%' (varchar), @p3 = '%ar%' (varchar)
SELECT c.PATIENT_ID, c.ALIAS_TYPE, c.SURNAME, c.FORENAMES FROM PATIENT_ALIAS c WHERE c.PATIENT_ID IN (@p1, @p2, @p3, @p4, @p5, @p6) ORDER BY c.PATIENT_ID, c.ALIAS_ID;
--   @p1 = 2 (bigint), @p2 = 8 (bigint), @p3 = 9 (bigint), @p4 = 13 (bigint), @p5 = 16 (bigint), @p6 = 19 (bigint)
SELECT c.PATIENT_ID, c.CONTACT_TYPE, c.CONTACT_VALUE, c.PREFERRED FROM PATIENT_CONTACT_NO c WHERE c.PATIENT_ID IN (@p1, @p2, @p3, @p4, @p5, @p6) ORDER BY c.PATIENT_ID, c.CONTACT_ID;
--   @p1 = 2 (bigint), @p2 = 8 (bigint), @p3 = 9 (bigint), @p4 = 13 (bigint), @p5 = 16 (bigint), @p6 = 19 (bigint)
SELECT c.PATIENT_ID, c.ADDRESS_TYPE, c.LINE1, c.LINE2, c.LINE3, c.LINE4, c.POSTCODE, c.FROM_DATE, c.TO_DATE FROM PATIENT_ADDRESS c WHERE c.PATIENT_ID IN (@p1, @p2, @p3, @p4, @p5, @p6) ORDER BY c.PATIENT_ID, c.ADDRESS_ID;
--   @p1 = 2 (bigint), @p2 = 8 (bigint), @p3 = 9 (bigint), @p4 = 13 (bigint), @p5 = 16 (bigint), @p6 = 19 (bigint)

-- next page
SELECT t0.PATIENT_ID, t0.LAST_UPDATED, t0.ETHNIC_ORIGIN, t0.NHS_NUMBER, t0.NHS_NO_STATUS, t0.HOSPITAL_NO, t0.SURNAME, t0.FORENAME1, t0.FORENAME2, t0.TITLE, t0.SEX, t0.DATE_OF_BIRTH, t0.DATE_OF_DEATH, t0.MARITAL_STATUS, t0.GP_ID, t0.PRACTICE_CODE FROM PATIENT t0 WHERE ((t0.SURNAME LIKE @p1 ESCAPE '\' OR t0.FORENAME1 LIKE @p2 ESCAPE '\' OR t0.FORENAME2 LIKE @p3 ESCAPE '\')) AND ((t0.PATIENT_ID > @p4)) ORDER BY t0.PATIENT_ID OFFSET 0 ROWS FETCH NEXT 6 ROWS ONLY;
--   @p1 = '%ar%' (varchar), @p2 = '%ar%' (varchar), @p3 = '%ar%' (varchar), @p4 = 16 (bigint)
SELECT c.PATIENT_ID, c.ALIAS_TYPE, c.SURNAME, c.FORENAMES FROM PATIENT_ALIAS c WHERE c.PATIENT_ID IN (@p1, @p2, @p3, @p4, @p5, @p6) ORDER BY c.PATIENT_ID, c.ALIAS_ID;
--   @p1 = 19 (bigint), @p2 = 20 (bigint), @p3 = 22 (bigint), @p4 = 24 (bigint), @p5 = 26 (bigint), @p6 = 29 (bigint)
SELECT c.PATIENT_ID, c.CONTACT_TYPE, c.CONTACT_VALUE, c.PREFERRED FROM PATIENT_CONTACT_NO c WHERE c.PATIENT_ID IN (@p1, @p2, @p3, @p4, @p5, @p6) ORDER BY c.PATIENT_ID, c.CONTACT_ID;
--   @p1 = 19 (bigint), @p2 = 20 (bigint), @p3 = 22 (bigint), @p4 = 24 (bigint), @p5 = 26 (bigint), @p6 = 29 (bigint)
SELECT c.PATIENT_ID, c.ADDRESS_TYPE, c.LINE1, c.LINE2, c.LINE3, c.LINE4, c.POSTCODE, c.FROM_DATE, c.TO_DATE FROM PATIENT_ADDRESS c WHERE c.PATIENT_ID IN (@p1, @p2, @p3, @p4, @p5, @p6) ORDER BY c.PATIENT_ID, c.ADDRESS_ID;
--   @p1 = 19 (bigint), @p2 = 20 (bigint), @p3 = 22 (bigint), @p4 = 24 (bigint), @p5 = 26 (bigint), @p6 = 29 (bigint)

-- previous page
SELECT t0.PATIENT_ID, t0.LAST_UPDATED, t0.ETHNIC_ORIGIN, t0.NHS_NUMBER, t0.NHS_NO_STATUS, t0.HOSPITAL_NO, t0.SURNAME, t0.FORENAME1, t0.FORENAME2, t0.TITLE, t0.SEX, t0.DATE_OF_BIRTH, t0.DATE_OF_DEATH, t0.MARITAL_STATUS, t0.GP_ID, t0.PRACTICE_CODE FROM PATIENT t0 WHERE ((t0.SURNAME LIKE @p1 ESCAPE '\' OR t0.FORENAME1 LIKE @p2 ESCAPE '\' OR t0.FORENAME2 LIKE @p3 ESCAPE '\')) AND ((t0.PATIENT_ID < @p4)) ORDER BY t0.PATIENT_ID DESC OFFSET 0 ROWS FETCH NEXT 6 ROWS ONLY;
--   @p1 = '%ar%' (varchar), @p2 = '%ar%' (varchar), @p3 = '%ar%' (varchar), @p4 = 19 (bigint)
SELECT c.PATIENT_ID, c.ALIAS_TYPE, c.SURNAME, c.FORENAMES FROM PATIENT_ALIAS c WHERE c.PATIENT_ID IN (@p1, @p2, @p3, @p4, @p5) ORDER BY c.PATIENT_ID, c.ALIAS_ID;
--   @p1 = 16 (bigint), @p2 = 13 (bigint), @p3 = 9 (bigint), @p4 = 8 (bigint), @p5 = 2 (bigint)
SELECT c.PATIENT_ID, c.CONTACT_TYPE, c.CONTACT_VALUE, c.PREFERRED FROM PATIENT_CONTACT_NO c WHERE c.PATIENT_ID IN (@p1, @p2, @p3, @p4, @p5) ORDER BY c.PATIENT_ID, c.CONTACT_ID;
--   @p1 = 16 (bigint), @p2 = 13 (bigint), @p3 = 9 (bigint), @p4 = 8 (bigint), @p5 = 2 (bigint)
SELECT c.PATIENT_ID, c.ADDRESS_TYPE, c.LINE1, c.LINE2, c.LINE3, c.LINE4, c.POSTCODE, c.FROM_DATE, c.TO_DATE FROM PATIENT_ADDRESS c WHERE c.PATIENT_ID IN (@p1, @p2, @p3, @p4, @p5) ORDER BY c.PATIENT_ID, c.ADDRESS_ID;
--   @p1 = 16 (bigint), @p2 = 13 (bigint), @p3 = 9 (bigint), @p4 = 8 (bigint), @p5 = 2 (bigint)
