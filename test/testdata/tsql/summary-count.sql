-- GET /Observation?patient=1&_summary=count
SELECT COUNT(*) FROM OBSERVATION t0 WHERE (t0.PATIENT_ID = @p1);
--   @p1 = 1 (bigint)
